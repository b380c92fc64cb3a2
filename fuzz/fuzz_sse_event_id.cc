// SSE event ids and resumption.
//
// 1. SseStream::ParseEventId on the input: an id it accepts re-formats as
//    "<stream>-<seq>" and parses back to the same pair.
// 2. The same bytes drive a small EventStore shared by a few SseStreams
//    through Send / Attach(after) / Detach / DetachSink / Finish / Close with
//    test sinks, against a model of each stream (cursor, sink, finished):
//    an attach replays exactly what the store holds of that stream after the
//    cursor (only that stream's frames, in order, as sent), live frames go to
//    the attached sink, and the store stays within its bounds, evicting
//    oldest first.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "transport/http/sse_stream.h"

namespace {

using mcpx::transport::http::EventStore;
using mcpx::transport::http::EventStoreLimits;
using mcpx::transport::http::Frame;
using mcpx::transport::http::SseSink;
using mcpx::transport::http::SseStream;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "fuzz_sse_event_id: %s\n", what);
  __builtin_trap();
}

void Check(bool ok, const char* what) {
  if (!ok) Fail(what);
}

class TestSink : public SseSink {
 public:
  explicit TestSink(std::size_t capacity) : capacity_(capacity) {}
  bool Push(Frame frame) override {
    if (ended) Fail("Push after End");
    if (frames.size() >= capacity_) {
      ++refused;
      return false;
    }
    frames.push_back(std::move(frame));
    return true;
  }
  void End() override {
    if (ended) Fail("End twice");
    ended = true;
  }
  std::vector<Frame> frames;
  std::size_t refused = 0;
  bool ended = false;

 private:
  const std::size_t capacity_;
};

std::string EventText(std::uint64_t stream, std::uint64_t seq, std::string_view message) {
  return "id: " + std::to_string(stream) + "-" + std::to_string(seq) + "\nevent: message\ndata: " +
         std::string(message) + "\n\n";
}

// A replay is the first `count` frames the store holds after the cursor.
void CheckReplay(const std::vector<Frame>& got, const std::vector<Frame>& want, std::size_t count) {
  Check(got.size() == count, "replayed a different number of frames");
  for (std::size_t i = 0; i < count; ++i) {
    Check(*got[i] == *want[i], "replayed frame differs from the store's");
  }
}

// Every event sent, in order: what the store's contents are checked against.
struct Sent {
  std::uint64_t stream;
  std::uint64_t seq;
  std::string text;
};

struct ModelStream {
  std::uint64_t next_seq = 0;
  std::uint64_t delivered = 0;
  bool finished = false;
  bool detach_pending = false;
  std::shared_ptr<TestSink> sink;  // attached
};

// The store's contents against the events sent: each stream's frames in seq
// order and as sent; within the bounds; evicted oldest first (everything that
// fits and was sent after the oldest event kept is kept). While every event
// fits the byte bound alone, the contents are exactly the longest run of
// newest events within both bounds.
void CheckStore(const EventStore& store, EventStoreLimits limits, std::size_t streams,
                const std::vector<Sent>& sent) {
  std::vector<bool> kept(sent.size(), false);
  std::size_t count = 0;
  std::size_t bytes = 0;
  for (std::size_t k = 0; k < streams; ++k) {
    std::uint64_t last = 0;
    for (const Frame& f : store.After(k, 0)) {
      const std::string_view text = *f;
      const auto nl = text.find('\n');
      Check(text.rfind("id: ", 0) == 0 && nl != std::string_view::npos, "frame without an id line");
      const auto id = SseStream::ParseEventId(text.substr(4, nl - 4));
      Check(id.has_value(), "stored frame id does not parse");
      Check(id->first == k, "stored frame of another stream");
      Check(id->second > last, "stored frames out of order");
      last = id->second;
      std::size_t i = 0;
      while (i < sent.size() && !(sent[i].stream == k && sent[i].seq == id->second)) ++i;
      Check(i < sent.size(), "stored frame never sent");
      Check(sent[i].text == text, "stored frame differs from the one sent");
      kept[i] = true;
      ++count;
      bytes += text.size();
    }
  }
  Check(store.size() == count, "size() differs from the frames stored");
  const std::size_t cap = limits.max_events == 0 ? 1 : limits.max_events;
  Check(count <= cap, "more events stored than max_events");
  Check(count <= 1 || bytes <= limits.max_bytes, "more bytes stored than max_bytes");
  std::size_t oldest = 0;
  while (oldest < sent.size() && !kept[oldest]) ++oldest;
  bool all_fit = true;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const bool fits = sent[i].text.size() <= limits.max_bytes;
    all_fit = all_fit && fits;
    if (i > oldest && fits) Check(kept[i], "an event newer than one kept was evicted");
  }
  if (!sent.empty() && sent.back().text.size() <= limits.max_bytes) {
    Check(kept.back(), "the newest event was not kept");
  }
  if (!all_fit) return;
  std::size_t want_count = 0;
  std::size_t want_bytes = 0;
  for (std::size_t i = sent.size(); i-- > 0;) {
    if (want_count == cap || want_bytes + sent[i].text.size() > limits.max_bytes) break;
    ++want_count;
    want_bytes += sent[i].text.size();
  }
  Check(count == want_count, "the store keeps fewer or more events than fit");
}

void CheckEventIds(std::string_view id) {
  const auto parsed = SseStream::ParseEventId(id);
  if (!parsed) return;
  const std::string canonical = std::to_string(parsed->first) + "-" + std::to_string(parsed->second);
  const auto again = SseStream::ParseEventId(canonical);
  Check(again.has_value(), "canonical form of an accepted id is refused");
  Check(*again == *parsed, "canonical form parses to a different pair");
  // The priming frame of that stream at that cursor carries the same id.
  SseStream stream(parsed->first, std::make_shared<EventStore>(EventStoreLimits{}), nullptr);
  const std::string priming = stream.PrimingFrame(parsed->second, 1000);
  Check(priming.rfind("id: " + canonical + "\n", 0) == 0, "priming frame id differs");
  const auto line_end = priming.find('\n');
  Check(SseStream::ParseEventId(std::string_view(priming).substr(4, line_end - 4)) == parsed,
        "priming frame id does not parse back");
}

void DriveStreams(FuzzedDataProvider& in) {
  const EventStoreLimits limits{in.ConsumeIntegralInRange<std::size_t>(0, 12),
                                in.ConsumeIntegralInRange<std::size_t>(0, 600)};
  auto store = std::make_shared<EventStore>(limits);
  std::vector<Sent> sent;
  constexpr std::size_t kStreams = 3;
  std::vector<std::shared_ptr<SseStream>> streams;
  std::vector<ModelStream> m(kStreams);
  for (std::size_t i = 0; i < kStreams; ++i) {
    streams.push_back(std::make_shared<SseStream>(i, store, nullptr));
  }

  for (int op = 0; op < 200 && in.remaining_bytes() > 0; ++op) {
    const std::size_t k = in.ConsumeIntegralInRange<std::size_t>(0, kStreams - 1);
    SseStream& s = *streams[k];
    ModelStream& ms = m[k];
    switch (in.ConsumeIntegralInRange<int>(0, 6)) {
      case 0:
      case 1: {  // Send
        const std::string message = in.ConsumeRandomLengthString(80);
        const bool final = in.ConsumeBool();
        const std::size_t before = ms.sink ? ms.sink->frames.size() : 0;
        s.Send(message, final);
        if (ms.finished) {
          if (ms.sink) Check(ms.sink->frames.size() == before, "Send after Finish delivered");
          break;
        }
        const std::uint64_t seq = ++ms.next_seq;
        const std::string text = EventText(k, seq, message);
        sent.push_back({k, seq, text});
        if (ms.sink) {
          // Either delivered, or refused (the stream then drops the sink).
          auto sink = ms.sink;
          if (sink->frames.size() == before + 1) {
            Check(*sink->frames.back() == text, "live frame differs");
            ms.delivered = seq;
          } else {
            Check(sink->frames.size() == before, "Send delivered more than one frame");
            ms.sink.reset();  // refused: dropped by the stream
          }
        }
        if (final) {
          ms.finished = true;
          if (ms.sink) {
            Check(ms.sink->ended, "final Send did not end the sink");
            ms.sink.reset();
          }
        }
        break;
      }
      case 2: {  // Attach, with or without a cursor
        auto sink = std::make_shared<TestSink>(in.ConsumeIntegralInRange<std::size_t>(0, 16));
        std::optional<std::uint64_t> after;
        if (in.ConsumeBool()) {
          after = in.ConsumeBool() ? in.ConsumeIntegralInRange<std::uint64_t>(0, ms.next_seq + 2)
                                   : in.ConsumeIntegral<std::uint64_t>();
        }
        // What the stream should replay: the store's frames after the cursor.
        const auto want = store->After(k, after.value_or(ms.delivered));
        const auto cursor = s.Attach(sink, after);
        if (ms.sink) {
          Check(!cursor.has_value(), "second sink attached");
          Check(sink->frames.empty() && !sink->ended, "refused sink was used");
          break;
        }
        Check(cursor.has_value(), "Attach refused without an attached sink");
        const std::uint64_t expected_cursor = after.value_or(ms.delivered);
        Check(*cursor == expected_cursor, "Attach cursor differs from the model");
        const std::size_t delivered = std::min(want.size(), sink->frames.size());
        CheckReplay(sink->frames, want, delivered);
        const bool dropped = sink->frames.size() < want.size();
        if (dropped) Check(sink->refused == 1, "replay stopped without a refusal");
        const bool end_now = ms.finished || ms.detach_pending;
        ms.detach_pending = false;
        if (!dropped) ms.delivered = ms.next_seq;
        if (end_now) {
          // The sink is ended even if it was dropped during the replay.
          Check(sink->ended, "Attach to a finished stream did not end the sink");
        } else {
          Check(!sink->ended, "Attach ended the sink");
          if (!dropped) ms.sink = sink;
        }
        break;
      }
      case 3: {  // Detach: the attached sink, or a stranger
        if (ms.sink && in.ConsumeBool()) {
          const bool ended = ms.sink->ended;
          s.Detach(ms.sink.get());
          Check(ms.sink->ended == ended, "Detach ended the sink");
          ms.sink.reset();
        } else {
          TestSink stranger(0);
          s.Detach(&stranger);
        }
        break;
      }
      case 4: {  // DetachSink
        s.DetachSink();
        if (ms.finished) break;
        if (ms.sink) {
          Check(ms.sink->ended, "DetachSink did not end the sink");
          ms.sink.reset();
        } else {
          ms.detach_pending = true;
        }
        break;
      }
      case 5: {  // Finish or Close
        if (in.ConsumeBool()) {
          s.Finish();
        } else {
          s.Close();
        }
        ms.finished = true;
        if (ms.sink) {
          Check(ms.sink->ended, "Finish did not end the sink");
          ms.sink.reset();
        }
        break;
      }
      case 6: {  // Read the store directly
        const std::uint64_t after = in.ConsumeIntegralInRange<std::uint64_t>(0, ms.next_seq + 1);
        const auto got = store->After(k, after);
        for (const Frame& f : got) {
          const auto id = SseStream::ParseEventId(std::string_view(*f).substr(4, f->find('\n') - 4));
          Check(id && id->first == k && id->second > after, "After returned a frame not after the cursor");
        }
        break;
      }
    }
    Check(s.finished() == ms.finished, "finished() differs from the model");
    CheckStore(*store, limits, kStreams, sent);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  CheckEventIds(std::string_view(reinterpret_cast<const char*>(data), size));
  FuzzedDataProvider in(data, size);
  DriveStreams(in);
  return 0;
}
