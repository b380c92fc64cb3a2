// The channels between the engine and a connection: PostExchange (one POSTed
// request's answer: a JSON body, or an SSE stream) and ConnectionSink (an SSE
// stream's frames, on their way to the socket).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "absl/base/thread_annotations.h"
#include "common/byte_budget.h"
#include "common/mutex.h"
#include "engine/channel.h"
#include "mcpx/http_transport.h"
#include "observe/metrics.h"
#include "transport/http/sse_stream.h"

namespace mcpx::transport::http {

class Connection;
struct HttpShared;

// A channel for one POSTed request. Decides, on the first message, between a
// plain JSON response (the result came first) and an SSE stream (anything else
// came first), then forwards to the connection on its I/O thread.
//
// A JSON response from a handler that ran inline on that thread is handed over
// at once (dispatch), so the answer is written before the handler's call
// returns; from any other thread it is posted.
//
// Thread safety: safe for concurrent use. `mu_` guards the mode; it is held
// while announcing a stream (a non-blocking post, so that the mode decision
// and its announcement stay in order) but never while the connection runs or
// while sending on the stream.
class PostExchange : public engine::Channel {
 public:
  // `state`: the session's streams; null for a stateless request, whose
  // stream is its own and not resumable (`shared` gives its limits).
  PostExchange(std::weak_ptr<Connection> conn, boost::asio::any_io_executor executor, std::uint64_t gen,
               std::shared_ptr<HttpSessionState> state, std::shared_ptr<const HttpShared> shared, bool json_allowed)
      : conn_(std::move(conn)),
        executor_(std::move(executor)),
        gen_(gen),
        state_(std::move(state)),
        shared_(std::move(shared)),
        json_allowed_(json_allowed) {}

  void Send(std::string message, bool final) override;
  void Disconnect() override;
  // The request ends without a response (cancelled): the POST is still
  // answered as the transport requires for a request, with an SSE stream
  // that ends without an event (a 202 is only for notifications and
  // responses).
  void Finish() override;
  void OnAbandoned(std::function<void()> fn) override;

 private:
  enum class Mode { kUndecided, kSse, kDone };

  // The SSE stream, opened (and announced to the connection) on first use.
  std::shared_ptr<SseStream> StreamLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::weak_ptr<Connection> conn_;
  const boost::asio::any_io_executor executor_;
  const std::uint64_t gen_;
  const std::shared_ptr<HttpSessionState> state_;
  const std::shared_ptr<const HttpShared> shared_;
  const bool json_allowed_;
  Mutex mu_;
  Mode mode_ ABSL_GUARDED_BY(mu_) = Mode::kUndecided;
  std::shared_ptr<SseStream> stream_ ABSL_GUARDED_BY(mu_);
  std::function<void()> on_abandoned_ ABSL_GUARDED_BY(mu_);  // until the stream exists
};

// Hands a stream's frames to a connection. Counts the frames and bytes not yet
// written, and charges the bytes to the byte budget; past the backlog limits,
// or when the budget refuses, the client is too slow and is disconnected (the
// events stay in the store for a resumption). One frame alone always goes, so
// a large result is never refused for its size.
class ConnectionSink : public SseSink {
 public:
  ConnectionSink(std::weak_ptr<Connection> conn, boost::asio::any_io_executor executor, std::uint64_t gen,
                 const HttpOptions& options, ByteBudget& budget, observe::Metrics& metrics)
      : conn_(std::move(conn)),
        executor_(std::move(executor)),
        gen_(gen),
        max_frames_(options.max_stream_backlog),
        max_bytes_(options.max_stream_backlog_bytes),
        budget_(budget),
        metrics_(metrics) {}
  ~ConnectionSink() override;

  bool Push(Frame frame) override;
  void End() override;
  // The connection wrote `frames` frames of `bytes` bytes.
  void Written(std::size_t frames, std::size_t bytes);

 private:
  const std::weak_ptr<Connection> conn_;
  const boost::asio::any_io_executor executor_;
  const std::uint64_t gen_;
  const std::size_t max_frames_;
  const std::size_t max_bytes_;
  ByteBudget& budget_;
  observe::Metrics& metrics_;
  std::atomic<std::size_t> frames_{0};
  std::atomic<std::size_t> bytes_{0};
};

}  // namespace mcpx::transport::http
