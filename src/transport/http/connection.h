// One HTTP/1.1 connection of the Streamable HTTP transport.
//
// Threading: a Connection lives on one I/O thread's io_context, which that
// thread alone runs, so every member runs there without a strand. Other
// threads reach it only by posting (PostExchange, sinks), holding no lock while
// they do. One request is served at a time; a request answered with SSE holds
// the connection until its stream ends.
//
// Deadlines cost nothing per request: each phase (waiting for a request,
// reading it, writing the answer) stores when it must end, and one timer per
// connection checks that store. Every phase's deadline is at least
// `tick` (the shortest of the read, idle and write timeouts) away, and the
// timer is never armed for later than `tick` ahead, so it always fires in
// time; it is re-armed early only for a shorter deadline (the linger close).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "transport/http/request_parser.h"
#include "transport/http/router.h"
#include "transport/http/shared.h"
#include "transport/http/sse_stream.h"
#include "transport/http/stream.h"

namespace mcpx::transport::http {

using tcp = boost::asio::ip::tcp;

class ConnectionSink;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `io`: the accepted socket, with TLS or not; `peer`: the client's
  // address; `slot`: its count against max_connections_per_ip, released
  // with the connection.
  Connection(Stream io, std::shared_ptr<HttpShared> shared, std::string peer = {},
             guard::ConnectionSlot slot = {});
  ~Connection();
  void Start();

  // Posted by PostExchange and sinks; `gen` guards against stale posts.
  void OnExchangeJson(std::uint64_t gen, std::string body);
  void OnExchangeSse(std::uint64_t gen, std::shared_ptr<SseStream> stream);
  void OnParsed(std::uint64_t gen, protocol::ParseOutcome parsed);
  void OnSseFrame(std::uint64_t gen, Frame frame);
  void OnSseEnd(std::uint64_t gen);
  void Close();

  boost::asio::any_io_executor executor() { return io_.executor(); }

 private:
  // A TLS connection's handshake, under tls_handshake_timeout; then the
  // first request.
  void Handshake();
  // Waits for a request under the idle timeout; once its first bytes are
  // here, the rest must arrive within the read timeout (a client dribbling a
  // request slowly holds the connection no longer than that).
  void ReadRequest();
  void OnFirstBytes(boost::system::error_code ec, std::size_t n);
  // Parses what is buffered; reads more until the request is complete.
  void ReadRest();
  void ReadMore();
  // Deadlines for a request whose first bytes just arrived.
  void StartRequestDeadline();
  // The rate limits for this request, when its head is in: false when it was
  // refused (answered with 429; the connection ends after).
  bool PassesRateLimits();
  void OnRead(boost::system::error_code ec);
  // The decisions are router.h's; these carry them out.
  void Route();
  // The bearer gate (HttpOptions::auth): true when the request may go on,
  // its principal in the headers; else the 401/403 is sent (and, when
  // `before_body`, the connection ends after it: its body was not read).
  // Also false, at the head only, while the token is being introspected:
  // OnIntrospected then answers or goes on reading (ReadRest).
  bool Authenticated(bool before_body = false);
  void AwaitIntrospection(std::string token, std::int64_t now_s);
  void OnIntrospected(std::uint64_t gen, const auth::Introspector::Outcome& outcome);
  // Carries out the gate's verdict, as Authenticated says.
  bool Admit(BearerVerdict verdict, bool before_body);
  // Whether the request's path is the MCP endpoint's.
  bool ToEndpoint() const;
  void HandlePost();
  // Continues a POST once its body is parsed (inline, or on a worker for
  // large bodies: then the engine also takes the message on a worker, so
  // that neither an inline handler nor freeing the large tree runs here).
  void Dispatch(protocol::ParseOutcome parsed, bool offloaded);
  void HandleGet();

  // Writes a response: the status line and headers are appended by hand
  // (Content-Length, Connection, and `extra_headers`: preformatted
  // "Name: value\r\n" lines) and sent with the body in one gather write.
  void Respond(beast_http::status status, std::string_view content_type = {},
               std::string body = {}, std::string_view extra_headers = {});
  void Respond(Answer answer);
  void OnWritten(bool keep_alive, boost::system::error_code ec);
  void LingerClose();
  void Drain(std::size_t drained);

  void StartSse(const std::shared_ptr<SseStream>& stream, std::optional<std::uint64_t> after);
  void FlushSse();
  void FinishSse();
  void KeepaliveTick();
  void WatchPeer();
  // Ends the connection `after` from now unless another deadline replaces it.
  void SetDeadline(std::chrono::milliseconds after);
  void ClearDeadline() { deadline_ms_ = 0; }
  void ArmTimer(std::int64_t at_ms);
  void OnTimer();

  Stream io_;
  std::shared_ptr<HttpShared> shared_;
  boost::beast::flat_buffer buffer_;  // bounded: see the constructor
  std::optional<RequestParser> parser_;
  Request request_;  // what the parser kept; reused, large buffers freed
  bool continue_sent_ = false;  // "100 Continue" answered for this request
  BearerMemo bearer_memo_;      // the last token this connection proved
  bool gated_ = false;
  bool in_head_ = false;        // a request's head is being read (header_timeout applies)
  std::string head_;  // the response being written
  std::string body_;
  boost::asio::steady_timer timer_;
  std::int64_t deadline_ms_ = 0;  // steady-clock ms; 0: no deadline
  std::int64_t request_started_ms_ = 0;  // the current request's first byte
  std::int64_t timer_at_ms_ = 0;  // when timer_ fires; 0: not armed
  boost::asio::steady_timer keepalive_;
  std::uint64_t gen_ = 0;  // bumped for every request served
  bool closed_ = false;
  bool waiting_ = false;  // a request is with the engine
  bool keep_alive_ = false;
  engine::SessionPtr session_;  // of the request being served
  std::string peer_;  // the client's address (per-client limits)
  guard::ConnectionSlot slot_;

  // SSE state.
  std::shared_ptr<SseStream> stream_;
  std::shared_ptr<ConnectionSink> sink_;
  std::vector<Frame> sse_queue_;
  std::vector<Frame> sse_writing_frames_;  // the frames of the write in flight
  std::string sse_out_;
  bool sse_active_ = false;
  bool sse_writing_ = false;
  bool sse_end_ = false;
  std::int64_t write_started_ms_ = 0;
};

}  // namespace mcpx::transport::http
