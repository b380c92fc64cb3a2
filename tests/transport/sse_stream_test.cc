#include "transport/http/sse_stream.h"

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

namespace mcpx::transport::http {
namespace {

Frame F(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

std::vector<std::string> Texts(const std::vector<Frame>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames) out.push_back(*f);
  return out;
}

TEST(EventStore, KeepsTheNewestEventsPerCount) {
  EventStore store({.max_events = 3, .max_bytes = 1 << 20});
  for (int i = 1; i <= 5; ++i) store.Append(1, i, F("e" + std::to_string(i)));
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(Texts(store.After(1, 0)), (std::vector<std::string>{"e3", "e4", "e5"}));
  EXPECT_EQ(Texts(store.After(1, 4)), (std::vector<std::string>{"e5"}));
  EXPECT_TRUE(store.After(2, 0).empty());
}

TEST(EventStore, KeepsTheNewestEventsPerBytesAndSeparatesStreams) {
  EventStore store({.max_events = 100, .max_bytes = 10});
  store.Append(1, 1, F("aaaa"));
  store.Append(2, 1, F("bbbb"));
  store.Append(1, 2, F("cccc"));  // 12 bytes: the oldest goes
  EXPECT_EQ(Texts(store.After(1, 0)), (std::vector<std::string>{"cccc"}));
  EXPECT_EQ(Texts(store.After(2, 0)), (std::vector<std::string>{"bbbb"}));
  for (int i = 3; i < 50; ++i) store.Append(1, i, F("x"));  // wraps after byte evictions
  EXPECT_EQ(store.After(1, 0).size(), 10u);
}

// Issue 8, defect 4: an event alone larger than the store's bound was kept
// anyway (a 4 MB event per session); it is sent but not stored.
TEST(EventStore, AnEventLargerThanTheStoreIsNotKept) {
  EventStore store({.max_events = 100, .max_bytes = 10});
  EXPECT_TRUE(store.Append(1, 1, F("small")));
  EXPECT_FALSE(store.Append(1, 2, F(std::string(11, 'x'))));
  EXPECT_EQ(Texts(store.After(1, 0)), (std::vector<std::string>{"small"}));
  EXPECT_EQ(store.bytes(), 5u);
}

// All stores together stay within one budget: a store evicts its own oldest
// events to make room, and frees its bytes when it goes.
TEST(EventStore, StoresShareOneBudget) {
  auto shared = std::make_shared<ByteBudget>(12);
  ByteBudget& budget = *shared;
  {
    EventStore a({.max_events = 100, .max_bytes = 100}, nullptr, shared);
    EventStore b({.max_events = 100, .max_bytes = 100}, nullptr, shared);
    EXPECT_TRUE(a.Append(1, 1, F("aaaa")));
    EXPECT_TRUE(a.Append(1, 2, F("aaaa")));
    EXPECT_TRUE(b.Append(1, 1, F("bbbb")));
    EXPECT_EQ(budget.used(), 12u);
    EXPECT_TRUE(b.Append(1, 2, F("bbbb")));  // b's own oldest goes
    EXPECT_EQ(Texts(b.After(1, 0)), (std::vector<std::string>{"bbbb"}));
    EXPECT_EQ(b.size(), 1u);
    EXPECT_EQ(budget.used(), 12u);
  }
  EXPECT_EQ(budget.used(), 0u);
}

class RecordingSink : public SseSink {
 public:
  bool Push(Frame frame) override {
    std::lock_guard<std::mutex> l(mu);
    frames.push_back(*frame);
    return true;
  }
  void End() override {
    std::lock_guard<std::mutex> l(mu);
    ended = true;
  }
  std::mutex mu;
  std::vector<std::string> frames;
  bool ended = false;
};

TEST(SseStream, ReplaysMissedEventsThenGoesLive) {
  auto store = std::make_shared<EventStore>(EventStoreLimits{});
  SseStream stream(7, store, nullptr);
  stream.Send("one", false);
  stream.Send("two", false);
  auto sink = std::make_shared<RecordingSink>();
  auto cursor = stream.Attach(sink, 1);  // client saw 7-1
  ASSERT_TRUE(cursor);
  EXPECT_EQ(*cursor, 1u);
  stream.Send("three", true);
  ASSERT_EQ(sink->frames.size(), 2u);
  EXPECT_EQ(sink->frames[0], "id: 7-2\nevent: message\ndata: two\n\n");
  EXPECT_EQ(sink->frames[1], "id: 7-3\nevent: message\ndata: three\n\n");
  EXPECT_TRUE(sink->ended);
  EXPECT_TRUE(stream.finished());
}

TEST(SseStream, OneSinkAtATimeAndDetachKeepsTheStream) {
  auto store = std::make_shared<EventStore>(EventStoreLimits{});
  SseStream stream(0, store, nullptr);
  auto a = std::make_shared<RecordingSink>();
  auto b = std::make_shared<RecordingSink>();
  ASSERT_TRUE(stream.Attach(a, std::nullopt));
  EXPECT_FALSE(stream.Attach(b, std::nullopt));
  stream.DetachSink();
  EXPECT_TRUE(a->ended);
  EXPECT_FALSE(stream.finished());
  stream.Send("while away", false);
  ASSERT_TRUE(stream.Attach(b, std::nullopt));  // undelivered events come first
  ASSERT_EQ(b->frames.size(), 1u);
  EXPECT_NE(b->frames[0].find("while away"), std::string::npos);
}

TEST(SseStream, ParsesEventIds) {
  EXPECT_EQ(SseStream::ParseEventId("3-14"), std::make_optional(std::make_pair<std::uint64_t, std::uint64_t>(3, 14)));
  EXPECT_FALSE(SseStream::ParseEventId("3"));
  EXPECT_FALSE(SseStream::ParseEventId("-1"));
  EXPECT_FALSE(SseStream::ParseEventId("a-1"));
  EXPECT_FALSE(SseStream::ParseEventId("1-2-3"));
}

}  // namespace
}  // namespace mcpx::transport::http
