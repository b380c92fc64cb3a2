#include "transport/http/sse_stream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/byte_budget.h"

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

// --- HttpSessionState: made on first use ------------------------------------------

EventStoreLimits Limits() { return {.max_events = 512, .max_bytes = 1 << 20}; }

TEST(HttpSessionState, AnIdleSessionHasNoStoreOrStream) {
  auto budget = std::make_shared<ByteBudget>(1 << 20);
  auto state = std::make_shared<HttpSessionState>(Limits(), nullptr, budget);
  EXPECT_FALSE(state->has_store());
  EXPECT_FALSE(state->has_standalone());
  // Looking up a POST stream that never was makes nothing either.
  EXPECT_EQ(state->FindStream(3), nullptr);
  // Disconnect (drain) and Close (session end) of a never-used session:
  // still nothing, and nothing is made for a message sent after Close.
  state->Disconnect();
  state->Close();
  state->Send("too late", false);
  EXPECT_FALSE(state->has_store());
  EXPECT_EQ(budget->used(), 0u);
}

TEST(HttpSessionState, AMessageBeforeTheFirstGetIsReplayedToIt) {
  auto state = std::make_shared<HttpSessionState>(Limits(), nullptr);
  engine::Channel& channel = *state;  // what the engine holds as standalone()
  channel.Send("early", false);
  EXPECT_TRUE(state->has_store());
  EXPECT_TRUE(state->has_standalone());
  auto sink = std::make_shared<RecordingSink>();
  auto cursor = state->standalone()->Attach(sink, std::nullopt);  // first GET
  ASSERT_TRUE(cursor);
  EXPECT_EQ(*cursor, 0u);
  channel.Send("live", false);
  ASSERT_EQ(sink->frames.size(), 2u);
  EXPECT_EQ(sink->frames[0], "id: 0-1\nevent: message\ndata: early\n\n");
  EXPECT_EQ(sink->frames[1], "id: 0-2\nevent: message\ndata: live\n\n");
  // Last-Event-ID 0-1 after a reconnect: only what followed.
  state->standalone()->Detach(sink.get());
  channel.Send("while away", false);
  auto again = std::make_shared<RecordingSink>();
  ASSERT_TRUE(state->FindStream(0)->Attach(again, 1));
  ASSERT_EQ(again->frames.size(), 2u);
  EXPECT_EQ(again->frames[0], "id: 0-2\nevent: message\ndata: live\n\n");
  EXPECT_EQ(again->frames[1], "id: 0-3\nevent: message\ndata: while away\n\n");
}

TEST(HttpSessionState, APostStreamMakesTheStoreNotTheStandaloneStream) {
  auto state = std::make_shared<HttpSessionState>(Limits(), nullptr);
  auto post = state->NewStream();
  EXPECT_EQ(post->id(), 1u);
  EXPECT_TRUE(state->has_store());
  EXPECT_FALSE(state->has_standalone());
  post->Send("progress", false);
  EXPECT_EQ(state->FindStream(1), post);
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(state->FindStream(1)->Attach(sink, 0));  // Last-Event-ID 1-0
  ASSERT_EQ(sink->frames.size(), 1u);
  EXPECT_EQ(sink->frames[0], "id: 1-1\nevent: message\ndata: progress\n\n");
  EXPECT_FALSE(state->has_standalone());
  // A GET makes the standalone stream, in the same store.
  EXPECT_EQ(state->standalone()->id(), 0u);
  EXPECT_TRUE(state->has_standalone());
}

// What happens to the standalone channel before its stream exists applies to
// the stream when it is made, as it would have to the eager one.
TEST(HttpSessionState, DisconnectBeforeTheStreamExistsEndsTheFirstGet) {
  auto state = std::make_shared<HttpSessionState>(Limits(), nullptr);
  state->Disconnect();  // the drain: no stream made for it
  EXPECT_FALSE(state->has_store());
  state->Send("stored", false);
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(state->standalone()->Attach(sink, std::nullopt));
  ASSERT_EQ(sink->frames.size(), 1u);  // replayed, then ended at once
  EXPECT_TRUE(sink->ended);
  EXPECT_FALSE(state->standalone()->finished());
}

TEST(HttpSessionState, CloseOrFinishBeforeTheStreamExists) {
  for (bool close : {true, false}) {
    auto state = std::make_shared<HttpSessionState>(Limits(), nullptr);
    if (close) {
      state->Close();
    } else {
      state->Finish();
    }
    state->Send("dropped", false);
    EXPECT_FALSE(state->has_store());
    auto sink = std::make_shared<RecordingSink>();
    auto standalone = state->standalone();  // a GET racing the end
    EXPECT_TRUE(standalone->finished());
    ASSERT_TRUE(standalone->Attach(sink, std::nullopt));
    EXPECT_TRUE(sink->frames.empty());
    EXPECT_TRUE(sink->ended);
    // Close ends POST streams too; Finish only the standalone one.
    EXPECT_EQ(state->NewStream()->finished(), close);
  }
}

TEST(HttpSessionState, CloseEndsStreamsMadeBefore) {
  auto state = std::make_shared<HttpSessionState>(Limits(), nullptr);
  auto post = state->NewStream();
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(state->standalone()->Attach(sink, std::nullopt));
  state->Close();
  EXPECT_TRUE(sink->ended);
  EXPECT_TRUE(post->finished());
  EXPECT_EQ(state->FindStream(1), nullptr);
  state->Send("after close", false);
  EXPECT_TRUE(sink->frames.empty());
}

// Threads race to make the store and the standalone stream (messages, GETs,
// POST streams, the session's end): one of each is made, and a sink attached
// before the end sees every message sent before it, once and in order.
TEST(HttpSessionState, ConcurrentFirstUsesMakeOneStoreAndStream) {
  for (int round = 0; round < 200; ++round) {
    auto budget = std::make_shared<ByteBudget>(1 << 24);
    auto state = std::make_shared<HttpSessionState>(Limits(), nullptr, budget);
    constexpr int kSenders = 3;
    constexpr int kEach = 20;
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kSenders; ++t) {
      threads.emplace_back([&, t] {
        while (!go.load()) {
        }
        for (int i = 0; i < kEach; ++i) state->Send(std::to_string(t) + ":" + std::to_string(i), false);
      });
    }
    auto sink = std::make_shared<RecordingSink>();
    std::shared_ptr<SseStream> attached;
    threads.emplace_back([&] {
      while (!go.load()) {
      }
      attached = state->standalone();
      ASSERT_TRUE(attached->Attach(sink, std::nullopt));
    });
    std::shared_ptr<SseStream> post;
    threads.emplace_back([&] {
      while (!go.load()) {
      }
      post = state->NewStream();
    });
    go = true;
    for (auto& th : threads) th.join();
    EXPECT_EQ(attached, state->standalone());
    EXPECT_EQ(post->id(), 1u);
    {
      std::lock_guard<std::mutex> l(sink->mu);
      ASSERT_EQ(sink->frames.size(), static_cast<std::size_t>(kSenders * kEach));
      for (std::size_t i = 0; i < sink->frames.size(); ++i) {
        EXPECT_EQ(sink->frames[i].rfind("id: 0-" + std::to_string(i + 1) + "\n", 0), 0u) << sink->frames[i];
      }
    }
    EXPECT_GT(budget->used(), 0u);
    state->Close();
    std::lock_guard<std::mutex> l(sink->mu);
    EXPECT_TRUE(sink->ended);
  }
}

TEST(HttpSessionState, CloseRacingFirstUsesLeavesEverythingEnded) {
  for (int round = 0; round < 200; ++round) {
    auto state = std::make_shared<HttpSessionState>(Limits(), nullptr);
    std::atomic<bool> go{false};
    std::shared_ptr<SseStream> standalone;
    std::shared_ptr<SseStream> post;
    std::thread sender([&] {
      while (!go.load()) {
      }
      state->Send("m", false);
    });
    std::thread getter([&] {
      while (!go.load()) {
      }
      standalone = state->standalone();
    });
    std::thread poster([&] {
      while (!go.load()) {
      }
      post = state->NewStream();
    });
    std::thread closer([&] {
      while (!go.load()) {
      }
      state->Close();
    });
    go = true;
    sender.join();
    getter.join();
    poster.join();
    closer.join();
    EXPECT_TRUE(standalone->finished());
    EXPECT_TRUE(post->finished());
    EXPECT_EQ(state->FindStream(1), nullptr);
  }
}

}  // namespace
}  // namespace mcpx::transport::http
