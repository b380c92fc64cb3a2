#include "transport/http/sse_stream.h"

#include <algorithm>
#include <charconv>

#include "observe/metrics.h"

namespace mcpx::transport::http {

// --- EventStore -----------------------------------------------------------------

EventStore::~EventStore() {
  if (metrics_) {
    metrics_->event_store_events.Add(-static_cast<std::int64_t>(count_));
    metrics_->event_store_bytes.Add(-static_cast<std::int64_t>(bytes_));
  }
  if (budget_) budget_->Release(bytes_);
}

void EventStore::EvictOldest() {
  const std::size_t cap = std::max<std::size_t>(1, limits_.max_events);
  const std::size_t size = events_[head_].frame->size();
  bytes_ -= size;
  if (budget_) budget_->Release(size);
  events_[head_].frame.reset();
  head_ = (head_ + 1) % cap;
  --count_;
  if (metrics_) {
    metrics_->event_store_events.Add(-1);
    metrics_->event_store_bytes.Add(-static_cast<std::int64_t>(size));
  }
}

bool EventStore::Append(std::uint64_t stream, std::uint64_t seq, Frame frame) {
  MutexLock lock(&mu_);
  if (metrics_) metrics_->sse_events.Add();
  const std::size_t size = frame->size();
  if (size > limits_.max_bytes) {
    if (metrics_) metrics_->events_not_stored.Add();
    return false;
  }
  const std::size_t cap = std::max<std::size_t>(1, limits_.max_events);
  while (count_ > 0 && (count_ == cap || bytes_ + size > limits_.max_bytes)) EvictOldest();
  if (budget_) {
    while (!budget_->TryCharge(size)) {
      if (count_ == 0) {
        if (metrics_) metrics_->events_not_stored.Add();
        return false;
      }
      EvictOldest();
    }
  }
  // The live events are [head_, head_ + count_) modulo cap; while the vector
  // is shorter than cap nothing has wrapped, so the slot is at most size().
  const std::size_t slot = (head_ + count_) % cap;
  bytes_ += size;
  Event event{stream, seq, std::move(frame)};
  if (slot == events_.size()) {
    events_.push_back(std::move(event));
  } else {
    events_[slot] = std::move(event);
  }
  ++count_;
  if (metrics_) {
    metrics_->event_store_events.Add(1);
    metrics_->event_store_bytes.Add(static_cast<std::int64_t>(size));
  }
  return true;
}

std::vector<Frame> EventStore::After(std::uint64_t stream, std::uint64_t after) const {
  std::vector<Frame> out;
  ReaderMutexLock lock(&mu_);
  const std::size_t cap = std::max<std::size_t>(1, limits_.max_events);
  for (std::size_t i = 0; i < count_; ++i) {
    const Event& e = events_[(head_ + i) % cap];
    if (e.stream == stream && e.seq > after) out.push_back(e.frame);
  }
  return out;
}

std::size_t EventStore::size() const {
  ReaderMutexLock lock(&mu_);
  return count_;
}

std::size_t EventStore::bytes() const {
  ReaderMutexLock lock(&mu_);
  return bytes_;
}

// --- SseStream -----------------------------------------------------------------

void SseStream::Deliver(const Frame& frame) {
  if (!sink_) return;
  if (!sink_->Push(frame)) {
    // Slow or gone: the connection closes itself; events stay in the store.
    if (metrics_) metrics_->messages_dropped.Add();
    sink_.reset();
  }
}

void SseStream::Send(std::string message, bool final) {
  std::shared_ptr<SseSink> to_end;
  {
    MutexLock lock(&mu_);
    if (finished_) return;
    const std::uint64_t seq = ++next_seq_;
    std::string text;
    text.reserve(message.size() + 48);
    if (resumable_) {
      text.append("id: ").append(std::to_string(id_)).append("-").append(std::to_string(seq)).append("\n");
    }
    text.append("event: message\ndata: ").append(message).append("\n\n");
    auto frame = std::make_shared<const std::string>(std::move(text));
    store_->Append(id_, seq, frame);
    Deliver(frame);
    if (sink_) delivered_ = seq;
    if (final) {
      finished_ = true;
      to_end = std::move(sink_);
    }
  }
  if (to_end) to_end->End();
}

void SseStream::Finish() {
  std::shared_ptr<SseSink> to_end;
  {
    MutexLock lock(&mu_);
    finished_ = true;
    to_end = std::move(sink_);
  }
  if (to_end) to_end->End();
}

void SseStream::Close() { Finish(); }

void SseStream::DetachSink() {
  std::shared_ptr<SseSink> to_end;
  {
    MutexLock lock(&mu_);
    if (finished_) return;
    if (!sink_) {
      detach_pending_ = true;
      return;
    }
    to_end = std::move(sink_);
  }
  to_end->End();
}

std::optional<std::uint64_t> SseStream::Attach(std::shared_ptr<SseSink> sink,
                                               std::optional<std::uint64_t> after) {
  bool end_now = false;
  std::uint64_t cursor = 0;
  {
    MutexLock lock(&mu_);
    if (sink_) return std::nullopt;
    sink_ = sink;
    cursor = after.value_or(delivered_);
    for (const Frame& frame : store_->After(id_, cursor)) {
      Deliver(frame);
    }
    if (sink_) delivered_ = next_seq_;
    end_now = finished_ || detach_pending_;
    detach_pending_ = false;
    if (end_now) sink_.reset();
  }
  if (end_now) sink->End();
  return cursor;
}

void SseStream::Detach(const SseSink* sink) {
  MutexLock lock(&mu_);
  if (sink_.get() == sink) sink_.reset();
}

void SseStream::set_on_abandoned(std::function<void()> fn) {
  MutexLock lock(&mu_);
  on_abandoned_ = std::move(fn);
}

void SseStream::Abandon() {
  std::function<void()> fn;
  {
    MutexLock lock(&mu_);
    if (finished_) return;
    fn = std::move(on_abandoned_);
    on_abandoned_ = nullptr;
  }
  if (fn) fn();
}

bool SseStream::finished() const {
  MutexLock lock(&mu_);
  return finished_;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> SseStream::ParseEventId(std::string_view id) {
  const auto dash = id.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::uint64_t stream = 0;
  std::uint64_t seq = 0;
  auto [p1, e1] = std::from_chars(id.data(), id.data() + dash, stream);
  auto [p2, e2] = std::from_chars(id.data() + dash + 1, id.data() + id.size(), seq);
  if (e1 != std::errc() || e2 != std::errc() || p1 != id.data() + dash ||
      p2 != id.data() + id.size() || dash == 0) {
    return std::nullopt;
  }
  return std::make_pair(stream, seq);
}

std::string SseStream::PrimingFrame(std::uint64_t cursor, int retry_ms) const {
  return "id: " + std::to_string(id_) + "-" + std::to_string(cursor) +
         "\nretry: " + std::to_string(retry_ms) + "\ndata: \n\n";
}

// --- HttpSessionState ---------------------------------------------------------------

// A session's store and streams once any is used. The standalone stream is
// made on its first use; until then the flags say what happened to it.
class HttpSessionState::Streams {
 public:
  Streams(const EventStoreConfig& config, std::uintptr_t flags)
      : store_(std::make_shared<EventStore>(config.limits, config.metrics, config.budget)),
        metrics_(config.metrics),
        closed_((flags & kClosed) != 0),
        ended_((flags & kEnded) != 0),
        detach_pending_((flags & kDetach) != 0) {}

  // The standalone stream, made if need be (ended at once if the session was
  // closed or the channel finished, as the eager stream would be by then).
  std::shared_ptr<SseStream> Standalone() {
    MutexLock lock(&mu_);
    return StandaloneLocked();
  }

  // The standalone stream for a message: null when it does not exist and
  // has ended (the message would be dropped; nothing is made for it). The
  // pointer stays valid as long as this object: the stream is never let go.
  SseStream* ForSend() {
    if (SseStream* s = fast_.load(std::memory_order_acquire)) return s;
    MutexLock lock(&mu_);
    if (!standalone_ && (closed_ || ended_)) return nullptr;
    return StandaloneLocked().get();
  }

  std::shared_ptr<SseStream> NewStream() {
    MutexLock lock(&mu_);
    auto stream = std::make_shared<SseStream>(++next_id_, store_, metrics_);
    if (closed_) {
      stream->Finish();
      return stream;
    }
    streams_.push_back(stream);
    if (streams_.size() > kMaxStreams) streams_.erase(streams_.begin());
    return stream;
  }

  std::shared_ptr<SseStream> Find(std::uint64_t id) const {
    MutexLock lock(&mu_);
    for (const auto& s : streams_) {
      if (s->id() == id) return s;
    }
    return nullptr;
  }

  void Finish() {
    std::shared_ptr<SseStream> standalone;
    {
      MutexLock lock(&mu_);
      ended_ = true;
      standalone = standalone_;
    }
    if (standalone) standalone->Finish();
  }

  void Disconnect() {
    std::shared_ptr<SseStream> standalone;
    {
      MutexLock lock(&mu_);
      if (!standalone_) {
        detach_pending_ = true;
        return;
      }
      standalone = standalone_;
    }
    standalone->DetachSink();
  }

  void Close() {
    std::shared_ptr<SseStream> standalone;
    std::vector<std::shared_ptr<SseStream>> streams;
    {
      MutexLock lock(&mu_);
      closed_ = true;
      standalone = standalone_;  // kept: ForSend's pointers stay valid
      streams.swap(streams_);
    }
    if (standalone) standalone->Close();
    for (auto& s : streams) s->Close();
  }

  bool has_standalone() const { return fast_.load(std::memory_order_acquire) != nullptr; }

 private:
  static constexpr std::size_t kMaxStreams = 64;

  const std::shared_ptr<SseStream>& StandaloneLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!standalone_) {
      // Not yet shared: its own mutex is free (the order is ours before its).
      auto stream = std::make_shared<SseStream>(0, store_, metrics_);
      if (closed_ || ended_) {
        stream->Finish();
      } else if (detach_pending_) {
        stream->DetachSink();
      }
      detach_pending_ = false;
      standalone_ = std::move(stream);
      fast_.store(standalone_.get(), std::memory_order_release);
    }
    return standalone_;
  }

  const std::shared_ptr<EventStore> store_;
  observe::Metrics* const metrics_;
  // standalone_.get() once it exists: Send's path takes no lock.
  std::atomic<SseStream*> fast_{nullptr};
  mutable Mutex mu_;
  std::shared_ptr<SseStream> standalone_ ABSL_GUARDED_BY(mu_);  // never reset
  std::uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_);
  bool detach_pending_ ABSL_GUARDED_BY(mu_);
  // Recent POST streams, for resumption; the oldest are forgotten first.
  std::vector<std::shared_ptr<SseStream>> streams_ ABSL_GUARDED_BY(mu_);
};

HttpSessionState::HttpSessionState(std::shared_ptr<const EventStoreConfig> config) : config_(std::move(config)) {
  static_assert(alignof(Streams) > kFlags, "the flags live in a Streams pointer's low bits");
}

HttpSessionState::HttpSessionState(EventStoreLimits limits, observe::Metrics* metrics,
                                   std::shared_ptr<ByteBudget> store_budget)
    : HttpSessionState(std::make_shared<const EventStoreConfig>(
          EventStoreConfig{limits, metrics, std::move(store_budget)})) {}

HttpSessionState::~HttpSessionState() { delete PtrOf(word_.load(std::memory_order_acquire)); }

HttpSessionState::Streams* HttpSessionState::Ensure() {
  std::uintptr_t word = word_.load(std::memory_order_acquire);
  if (Streams* s = PtrOf(word)) return s;
  auto fresh = std::make_unique<Streams>(*config_, word & kFlags);
  for (;;) {
    const std::uintptr_t flags = word & kFlags;
    if (word_.compare_exchange_weak(word, reinterpret_cast<std::uintptr_t>(fresh.get()) | flags,
                                    std::memory_order_acq_rel, std::memory_order_acquire)) {
      return fresh.release();
    }
    if (Streams* s = PtrOf(word)) return s;  // another thread's; ours goes
    // A flag was set meanwhile: made again with it (rare).
    if ((word & kFlags) != flags) fresh = std::make_unique<Streams>(*config_, word & kFlags);
  }
}

HttpSessionState::Streams* HttpSessionState::StreamsOrFlag(std::uintptr_t flag) {
  std::uintptr_t word = word_.load(std::memory_order_acquire);
  for (;;) {
    if (Streams* s = PtrOf(word)) return s;
    if (word_.compare_exchange_weak(word, word | flag, std::memory_order_acq_rel, std::memory_order_acquire)) {
      return nullptr;
    }
  }
}

std::shared_ptr<SseStream> HttpSessionState::standalone() { return Ensure()->Standalone(); }

std::shared_ptr<SseStream> HttpSessionState::NewStream() { return Ensure()->NewStream(); }

std::shared_ptr<SseStream> HttpSessionState::FindStream(std::uint64_t id) {
  if (id == 0) return standalone();
  Streams* s = PtrOf(word_.load(std::memory_order_acquire));
  return s ? s->Find(id) : nullptr;  // no Streams: no POST stream yet
}

void HttpSessionState::Close() {
  if (Streams* s = StreamsOrFlag(kClosed)) s->Close();
}

void HttpSessionState::Send(std::string message, bool final) {
  const std::uintptr_t word = word_.load(std::memory_order_acquire);
  Streams* s = PtrOf(word);
  if (!s) {
    // Ended before it was ever made: the message is dropped, as an ended
    // stream drops it; nothing is made for it.
    if ((word & (kClosed | kEnded)) != 0) return;
    s = Ensure();
  }
  if (SseStream* stream = s->ForSend()) stream->Send(std::move(message), final);
}

void HttpSessionState::Finish() {
  if (Streams* s = StreamsOrFlag(kEnded)) s->Finish();
}

void HttpSessionState::Disconnect() {
  if (Streams* s = StreamsOrFlag(kDetach)) s->Disconnect();
}

bool HttpSessionState::has_store() const { return PtrOf(word_.load(std::memory_order_acquire)) != nullptr; }

bool HttpSessionState::has_standalone() const {
  Streams* s = PtrOf(word_.load(std::memory_order_acquire));
  return s && s->has_standalone();
}

}  // namespace mcpx::transport::http
