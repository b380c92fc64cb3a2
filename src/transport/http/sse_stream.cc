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

HttpSessionState::HttpSessionState(EventStoreLimits limits, observe::Metrics* metrics,
                                   std::shared_ptr<ByteBudget> store_budget)
    : store_(std::make_shared<EventStore>(limits, metrics, std::move(store_budget))),
      metrics_(metrics),
      standalone_(std::make_shared<SseStream>(0, store_, metrics)) {}

std::shared_ptr<SseStream> HttpSessionState::NewStream() {
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

std::shared_ptr<SseStream> HttpSessionState::FindStream(std::uint64_t id) const {
  if (id == 0) return standalone_;
  MutexLock lock(&mu_);
  for (const auto& s : streams_) {
    if (s->id() == id) return s;
  }
  return nullptr;
}

void HttpSessionState::Close() {
  std::vector<std::shared_ptr<SseStream>> streams;
  {
    MutexLock lock(&mu_);
    closed_ = true;
    streams.swap(streams_);
  }
  standalone_->Close();
  for (auto& s : streams) s->Close();
}

}  // namespace mcpx::transport::http
