#include "transport/http/exchange.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "transport/http/connection.h"
#include "transport/http/shared.h"

namespace mcpx::transport::http {
namespace net = boost::asio;

namespace {

// A stateless request's SSE stream: not resumable; its store holds what the
// handler sends before the connection attaches, under the stores' budget.
std::shared_ptr<SseStream> StatelessStream(const HttpShared& shared) {
  const HttpOptions& o = shared.options;
  auto store = std::make_shared<EventStore>(EventStoreLimits{o.event_store_events, o.event_store_bytes},
                                            &shared.port.metrics(), shared.store_budget);
  return std::make_shared<SseStream>(0, std::move(store), &shared.port.metrics(), /*resumable=*/false);
}

}  // namespace

void PostExchange::Send(std::string message, bool final) {
  std::shared_ptr<SseStream> stream;
  {
    MutexLock lock(&mu_);
    if (mode_ == Mode::kDone) return;
    if (mode_ == Mode::kUndecided && final && json_allowed_) {
      mode_ = Mode::kDone;  // nothing else is ever announced: order is settled
    } else {
      stream = StreamLocked();
    }
  }
  if (!stream) {
    net::dispatch(executor_, [weak = conn_, gen = gen_, m = std::move(message)]() mutable {
      if (auto c = weak.lock()) c->OnExchangeJson(gen, std::move(m));
    });
    return;
  }
  stream->Send(std::move(message), final);
}

void PostExchange::Disconnect() {
  std::shared_ptr<SseStream> stream;
  {
    MutexLock lock(&mu_);
    if (mode_ == Mode::kDone) return;
    stream = StreamLocked();
  }
  stream->DetachSink();
}

void PostExchange::Finish() {
  std::shared_ptr<SseStream> stream;
  {
    MutexLock lock(&mu_);
    if (mode_ == Mode::kDone) return;
    stream = StreamLocked();
  }
  stream->Finish();
}

void PostExchange::OnAbandoned(std::function<void()> fn) {
  std::shared_ptr<SseStream> stream;
  {
    MutexLock lock(&mu_);
    if (state_) return;  // a session's streams are resumable: never abandoned
    if (!stream_) {
      on_abandoned_ = std::move(fn);
      return;
    }
    stream = stream_;
  }
  stream->set_on_abandoned(std::move(fn));
}

std::shared_ptr<SseStream> PostExchange::StreamLocked() {
  if (mode_ == Mode::kUndecided) {
    mode_ = Mode::kSse;
    stream_ = state_ ? state_->NewStream() : StatelessStream(*shared_);
    if (on_abandoned_) stream_->set_on_abandoned(std::move(on_abandoned_));
    net::post(executor_, [weak = conn_, gen = gen_, s = stream_] {
      if (auto c = weak.lock()) c->OnExchangeSse(gen, s);
    });
  }
  return stream_;
}

ConnectionSink::~ConnectionSink() {
  // Frames never written (the connection closed first) are no longer held.
  budget_.Release(bytes_.load(std::memory_order_relaxed));
}

bool ConnectionSink::Push(Frame frame) {
  const std::size_t size = frame->size();
  const std::size_t frames = frames_.fetch_add(1, std::memory_order_relaxed);
  const std::size_t bytes = bytes_.fetch_add(size, std::memory_order_relaxed);
  const bool over = frames > 0 && (frames >= max_frames_ || bytes + size > max_bytes_);
  if (over || !budget_.TryCharge(size)) {
    frames_.fetch_sub(1, std::memory_order_relaxed);
    bytes_.fetch_sub(size, std::memory_order_relaxed);
    metrics_.lag_disconnects.Add();
    net::post(executor_, [weak = conn_] {
      if (auto c = weak.lock()) c->Close();
    });
    return false;
  }
  metrics_.NoteBacklog(static_cast<std::int64_t>(frames + 1));
  net::post(executor_, [weak = conn_, gen = gen_, frame = std::move(frame)]() mutable {
    if (auto c = weak.lock()) c->OnSseFrame(gen, std::move(frame));
  });
  return true;
}

void ConnectionSink::End() {
  net::post(executor_, [weak = conn_, gen = gen_] {
    if (auto c = weak.lock()) c->OnSseEnd(gen);
  });
}

void ConnectionSink::Written(std::size_t frames, std::size_t bytes) {
  frames_.fetch_sub(frames, std::memory_order_relaxed);
  bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  budget_.Release(bytes);
}

}  // namespace mcpx::transport::http
