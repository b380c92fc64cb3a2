#include "transport/http/connection.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/read.hpp>

#include "mcpx/error.h"
#include "protocol/jsonrpc.h"

namespace mcpx::transport::http {
namespace net = boost::asio;
using beast_http::status;

namespace {

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void AppendNumber(std::string& out, std::size_t n) {
  char digits[24];
  out.append(digits, static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, n).ptr - digits));
}

// A response head is AppendStatusLine, "Name: value\r\n" lines, EndHead.
void AppendStatusLine(std::string& out, status st) {
  out.append("HTTP/1.1 ");
  AppendNumber(out, static_cast<unsigned>(st));
  out.append(" ").append(beast_http::obsolete_reason(st)).append("\r\n");
}

void AppendSessionHeader(std::string& out, std::string_view id) {
  out.append(kSessionHeader).append(": ").append(id).append("\r\n");
}

// Keep-alive is HTTP/1.1's default: only its absence is said.
void EndHead(std::string& out, bool keep_alive) {
  if (!keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n");
}

std::string Chunk(std::string_view data) {
  char size[20];
  const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string out;
  out.reserve(data.size() + static_cast<std::size_t>(n) + 2);
  out.append(size, static_cast<std::size_t>(n)).append(data).append("\r\n");
  return out;
}

}  // namespace

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
  PostExchange(std::weak_ptr<Connection> conn, net::any_io_executor executor, std::uint64_t gen,
               std::shared_ptr<HttpSessionState> state, bool json_allowed)
      : conn_(std::move(conn)),
        executor_(std::move(executor)),
        gen_(gen),
        state_(std::move(state)),
        json_allowed_(json_allowed) {}

  void Send(std::string message, bool final) override {
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

  void Disconnect() override {
    std::shared_ptr<SseStream> stream;
    {
      MutexLock lock(&mu_);
      if (mode_ == Mode::kDone) return;
      stream = StreamLocked();
    }
    stream->DetachSink();
  }

  void Finish() override {
    std::shared_ptr<SseStream> stream;
    {
      MutexLock lock(&mu_);
      if (mode_ == Mode::kUndecided) {
        mode_ = Mode::kDone;
        Post([gen = gen_](Connection& c) { c.OnExchangeEmpty(gen); });
        return;
      }
      stream = stream_;
    }
    if (stream) stream->Finish();
  }

 private:
  enum class Mode { kUndecided, kSse, kDone };

  // The SSE stream, opened (and announced to the connection) on first use.
  std::shared_ptr<SseStream> StreamLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (mode_ == Mode::kUndecided) {
      mode_ = Mode::kSse;
      stream_ = state_->NewStream();
      Post([gen = gen_, s = stream_](Connection& c) { c.OnExchangeSse(gen, s); });
    }
    return stream_;
  }

  template <typename Fn>
  void Post(Fn fn) {
    net::post(executor_, [weak = conn_, fn = std::move(fn)]() mutable {
      if (auto c = weak.lock()) fn(*c);
    });
  }

  const std::weak_ptr<Connection> conn_;
  const net::any_io_executor executor_;
  const std::uint64_t gen_;
  const std::shared_ptr<HttpSessionState> state_;
  const bool json_allowed_;
  Mutex mu_;
  Mode mode_ ABSL_GUARDED_BY(mu_) = Mode::kUndecided;
  std::shared_ptr<SseStream> stream_ ABSL_GUARDED_BY(mu_);
};

// Hands a stream's frames to a connection. Counts frames not yet written; past
// the backlog limit the connection is too slow and is closed (the events stay
// in the store for a resumption).
class ConnectionSink : public SseSink {
 public:
  ConnectionSink(std::weak_ptr<Connection> conn, net::any_io_executor executor, std::uint64_t gen,
                 std::size_t backlog)
      : conn_(std::move(conn)), executor_(std::move(executor)), gen_(gen), backlog_(backlog) {}

  bool Push(Frame frame) override {
    if (pending_.fetch_add(1, std::memory_order_relaxed) >= backlog_) {
      net::post(executor_, [weak = conn_] {
        if (auto c = weak.lock()) c->Close();
      });
      return false;
    }
    net::post(executor_, [weak = conn_, gen = gen_, frame = std::move(frame)]() mutable {
      if (auto c = weak.lock()) c->OnSseFrame(gen, std::move(frame));
    });
    return true;
  }

  void End() override {
    net::post(executor_, [weak = conn_, gen = gen_] {
      if (auto c = weak.lock()) c->OnSseEnd(gen);
    });
  }

  void Written(std::size_t frames) { pending_.fetch_sub(frames, std::memory_order_relaxed); }

 private:
  const std::weak_ptr<Connection> conn_;
  const net::any_io_executor executor_;
  const std::uint64_t gen_;
  const std::size_t backlog_;
  std::atomic<std::size_t> pending_{0};
};

Connection::Connection(tcp::socket socket, std::shared_ptr<HttpShared> shared)
    : socket_(std::move(socket)),
      shared_(std::move(shared)),
      timer_(socket_.get_executor()),
      keepalive_(socket_.get_executor()) {
  shared_->connections.fetch_add(1, std::memory_order_relaxed);
  shared_->engine.metrics().http_connections.Add(1);
}

Connection::~Connection() {
  if (sse_active_) shared_->engine.metrics().sse_streams.Add(-1);
  shared_->engine.metrics().http_connections.Add(-1);
  shared_->connections.fetch_sub(1, std::memory_order_relaxed);
}

void Connection::Start() {
  net::post(socket_.get_executor(), [self = shared_from_this()] { self->ReadRequest(); });
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  if (stream_ && sink_) stream_->Detach(sink_.get());
  stream_.reset();
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  timer_.cancel();
  keepalive_.cancel();
}

void Connection::SetDeadline(std::chrono::milliseconds after) {
  deadline_ms_ = NowMs() + after.count();
  if (timer_at_ms_ == 0 || deadline_ms_ < timer_at_ms_) ArmTimer(deadline_ms_);
}

void Connection::ArmTimer(std::int64_t at_ms) {
  timer_at_ms_ = at_ms;
  timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::milliseconds(at_ms)));
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->OnTimer();
  });
}

void Connection::OnTimer() {
  if (closed_) return;
  const std::int64_t now = NowMs();
  if (deadline_ms_ != 0 && now >= deadline_ms_) return Close();
  const auto& o = shared_->options;
  const std::int64_t tick = std::max<std::int64_t>(
      1, std::min({o.read_timeout, o.idle_timeout, o.write_timeout}).count());
  ArmTimer(deadline_ms_ != 0 ? std::min(deadline_ms_, now + tick) : now + tick);
}

// --- Reading -------------------------------------------------------------------

void Connection::ReadRequest() {
  if (closed_) return;
  ++gen_;
  waiting_ = false;
  session_.reset();
  parser_.emplace();
  parser_->body_limit(shared_->options.max_body_bytes);
  parser_->header_limit(static_cast<std::uint32_t>(shared_->options.max_header_bytes));
  if (buffer_.size() > 0) {  // pipelined: the request has begun
    SetDeadline(shared_->options.read_timeout);
    ReadRest();
    return;
  }
  SetDeadline(shared_->options.idle_timeout);
  // A plain read for the first bytes (no syscall until the socket is readable:
  // the last read drained it), so that the read timeout can start with them.
  socket_.async_read_some(buffer_.prepare(boost::beast::read_size(buffer_, 65536)),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                            self->OnFirstBytes(ec, n);
                          });
}

void Connection::OnFirstBytes(boost::system::error_code ec, std::size_t n) {
  if (ec) return OnRead(ec);
  buffer_.commit(n);
  SetDeadline(shared_->options.read_timeout);
  ReadRest();
}

void Connection::ReadRest() {
  // Most requests arrive whole: parse what is buffered here, and go back to
  // the socket only for the rest.
  boost::beast::error_code ec;
  while (!parser_->is_done() && buffer_.size() > 0) {
    const std::size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec || used == 0) break;
  }
  if (ec == beast_http::error::need_more) ec = {};
  if (ec || parser_->is_done()) return OnRead(ec);
  beast_http::async_read(socket_, buffer_, *parser_,
                         [self = shared_from_this()](boost::system::error_code rec, std::size_t) {
                           self->OnRead(rec);
                         });
}

void Connection::OnRead(boost::system::error_code ec) {
  ClearDeadline();
  if (closed_) return;
  if (ec == beast_http::error::end_of_stream || ec == net::error::eof ||
      ec == net::error::operation_aborted || ec == net::error::connection_reset) {
    Close();
    return;
  }
  keep_alive_ = false;  // after a framing error the stream cannot be trusted
  if (ec == beast_http::error::body_limit) {
    RespondError(status::payload_too_large, ErrorCode::kInvalidRequest, "Request body too large");
    return;
  }
  if (ec == beast_http::error::header_limit) {
    RespondError(status::request_header_fields_too_large, ErrorCode::kInvalidRequest,
                 "Request header fields too large");
    return;
  }
  if (ec) {
    RespondError(status::bad_request, ErrorCode::kInvalidRequest, "Malformed HTTP request");
    return;
  }
  request_ = parser_->release();
  keep_alive_ = request_.keep_alive();
  headers_ = ScanHeaders(request_.base());
  Route();
}

// --- Routing -------------------------------------------------------------------

void Connection::Route() {
  const auto& opts = shared_->options;
  std::string_view target = request_.target();
  target = target.substr(0, target.find('?'));

  if (!shared_->policy.HostAllowed(headers_.host)) {
    RespondError(status::forbidden, ErrorCode::kServerOverloaded, "Forbidden: Host not allowed");
    return;
  }
  if (!shared_->policy.OriginAllowed(headers_.origin)) {
    RespondError(status::forbidden, ErrorCode::kServerOverloaded, "Forbidden: Origin not allowed");
    return;
  }
  if (target == "/healthz" && request_.method() == beast_http::verb::get) {
    Respond(status::ok, "text/plain", "ok\n");
    return;
  }
  if (target == "/metrics" && opts.serve_metrics && request_.method() == beast_http::verb::get) {
    Respond(status::ok, "text/plain; version=0.0.4", shared_->engine.MetricsText());
    return;
  }
  if (target != opts.path) {
    RespondError(status::not_found, ErrorCode::kInvalidRequest, "Not found");
    return;
  }
  switch (request_.method()) {
    case beast_http::verb::post:
      HandlePost();
      return;
    case beast_http::verb::get:
      HandleGet();
      return;
    case beast_http::verb::delete_:
      HandleDelete();
      return;
    default:
      Respond(status::method_not_allowed, "application/json",
              protocol::SerializeError(nullptr, ErrorCode::kServerOverloaded, "Method not allowed"),
              "Allow: GET, POST, DELETE\r\n");
  }
}

engine::SessionPtr Connection::RequireSession() {
  const std::string_view id = headers_.session_id;
  if (id.empty()) {
    RespondError(status::bad_request, ErrorCode::kServerOverloaded,
                 "Bad Request: Mcp-Session-Id header is required");
    return nullptr;
  }
  const std::string_view version = headers_.protocol_version;
  if (!version.empty() && !engine::IsSupportedProtocolVersion(version)) {
    RespondError(status::bad_request, ErrorCode::kServerOverloaded,
                 "Bad Request: unsupported MCP-Protocol-Version");
    return nullptr;
  }
  auto session = shared_->engine.FindSession(id);
  if (!session) {
    RespondError(status::not_found, ErrorCode::kRequestTimeout, "Session not found");
    return nullptr;
  }
  return session;
}

void Connection::HandlePost() {
  if (!AcceptsMediaType(headers_.accept, "application/json") ||
      !AcceptsMediaType(headers_.accept, "text/event-stream")) {
    RespondError(status::not_acceptable, ErrorCode::kServerOverloaded,
                 "Not Acceptable: Accept must list application/json and text/event-stream");
    return;
  }
  if (!IsJsonContentType(headers_.content_type)) {
    RespondError(status::unsupported_media_type, ErrorCode::kServerOverloaded,
                 "Unsupported Media Type: Content-Type must be application/json");
    return;
  }
  protocol::ParseOutcome parsed = protocol::Parse(request_.body());
  if (parsed.failure) {
    RespondError(status::bad_request, parsed.failure->code, parsed.failure->message,
                 parsed.failure->id);
    return;
  }
  protocol::Message& message = *parsed.message;
  if (message.is_request() && message.method == "initialize") {
    HandleInitialize(message);
    return;
  }
  session_ = RequireSession();
  if (!session_) return;
  if (!message.is_request()) {
    shared_->engine.HandleMessage(session_, std::move(message), nullptr);
    Respond(status::accepted);
    return;
  }
  auto* state = static_cast<HttpSessionState*>(session_->transport());
  auto exchange = std::make_shared<PostExchange>(
      weak_from_this(), socket_.get_executor(), gen_,
      std::shared_ptr<HttpSessionState>(session_, state), shared_->options.json_responses);
  waiting_ = true;
  shared_->engine.HandleMessage(session_, std::move(message), std::move(exchange));
  // Still waiting (the handler runs elsewhere or has not answered yet): watch
  // for the client going away meanwhile. An inline answer needs no watch, and
  // skipping it saves a syscall (epoll_ctl) per request.
  if (waiting_ && !closed_) WatchPeer();
}

void Connection::HandleInitialize(protocol::Message& message) {
  if (!headers_.session_id.empty()) {
    RespondError(status::bad_request, ErrorCode::kInvalidRequest,
                 "Invalid Request: initialize must not carry Mcp-Session-Id", message.id);
    return;
  }
  engine::Engine& engine = shared_->engine;
  engine::SessionPtr session;
  try {
    session = engine.NewSession(message.params);
  } catch (const Error& e) {
    RespondError(status::bad_request, e.code(), e.message(), message.id);
    return;
  }
  const auto& opts = shared_->options;
  auto state = std::make_shared<HttpSessionState>(
      EventStoreLimits{opts.event_store_events, opts.event_store_bytes}, &engine.metrics());
  session->set_standalone(state->standalone());
  session->set_transport(state);
  if (!engine.Publish(session)) {
    Respond(status::service_unavailable, "application/json",
            protocol::SerializeError(message.id, ErrorCode::kServerOverloaded,
                                     "Server at session capacity; retry later"),
            "Retry-After: 5\r\n");
    return;
  }
  std::string session_header;
  AppendSessionHeader(session_header, session->id());
  Respond(status::ok, "application/json",
          protocol::SerializeResult(message.id, engine.InitializeResult(*session)), session_header);
}

void Connection::HandleGet() {
  if (!AcceptsMediaType(headers_.accept, "text/event-stream")) {
    RespondError(status::not_acceptable, ErrorCode::kServerOverloaded,
                 "Not Acceptable: Accept must list text/event-stream");
    return;
  }
  session_ = RequireSession();
  if (!session_) return;
  auto* state = static_cast<HttpSessionState*>(session_->transport());
  std::shared_ptr<SseStream> stream = state->standalone();
  std::optional<std::uint64_t> after;
  if (const std::string_view last = headers_.last_event_id; !last.empty()) {
    auto parsed = SseStream::ParseEventId(last);
    if (!parsed) {
      RespondError(status::bad_request, ErrorCode::kInvalidRequest, "Bad Request: malformed Last-Event-ID");
      return;
    }
    stream = state->FindStream(parsed->first);
    after = parsed->second;
    if (!stream) {
      // Forgotten stream: nothing left to replay; answer with an ended stream.
      stream = std::make_shared<SseStream>(parsed->first, std::make_shared<EventStore>(EventStoreLimits{}), nullptr);
      stream->Finish();
    }
  }
  StartSse(stream, after);
}

void Connection::HandleDelete() {
  session_ = RequireSession();
  if (!session_) return;
  shared_->engine.CloseSession(session_);
  Respond(status::ok);
}

// --- Responses -----------------------------------------------------------------

void Connection::Respond(status st, std::string_view content_type, std::string body,
                         std::string_view extra_headers) {
  if (closed_) return;
  waiting_ = false;
  if (static_cast<unsigned>(st) >= 400) shared_->engine.metrics().http_errors.Add();
  head_.clear();
  AppendStatusLine(head_, st);
  if (!content_type.empty()) head_.append("Content-Type: ").append(content_type).append("\r\n");
  head_.append("Content-Length: ");
  AppendNumber(head_, body.size());
  head_.append("\r\n").append(extra_headers);
  EndHead(head_, keep_alive_);
  body_ = std::move(body);
  SetDeadline(shared_->options.write_timeout);
  const std::array<net::const_buffer, 2> buffers{net::buffer(head_), net::buffer(body_)};
  net::async_write(socket_, buffers,
                   [self = shared_from_this(), keep_alive = keep_alive_](boost::system::error_code ec, std::size_t) {
                     self->OnWritten(keep_alive, ec);
                   });
}

void Connection::RespondError(status st, int code, std::string_view message, const json::value& id) {
  Respond(st, "application/json", protocol::SerializeError(id, code, message));
}

void Connection::OnWritten(bool keep_alive, boost::system::error_code ec) {
  ClearDeadline();
  if (ec) {
    Close();
    return;
  }
  if (!keep_alive) {
    LingerClose();
    return;
  }
  ReadRequest();
}

void Connection::LingerClose() {
  // Half-close, then read and discard what the client is still sending (say,
  // the rest of a body we refused with 413) for a bounded time, so that its
  // TCP stack does not reset the connection before it has read our answer.
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  ++gen_;
  SetDeadline(std::chrono::seconds(1));
  Drain(0);
}

void Connection::Drain(std::size_t drained) {
  constexpr std::size_t kMaxDrain = 8 << 20;
  if (closed_ || drained > kMaxDrain) return Close();
  auto scratch = std::make_shared<std::array<char, 16384>>();
  socket_.async_read_some(net::buffer(*scratch),
                          [self = shared_from_this(), scratch, drained](boost::system::error_code ec, std::size_t n) {
                            if (ec) return self->Close();
                            self->Drain(drained + n);
                          });
}

void Connection::OnExchangeJson(std::uint64_t gen, std::string body) {
  if (gen != gen_ || closed_ || !waiting_) return;
  Respond(status::ok, "application/json", std::move(body));
}

void Connection::OnExchangeEmpty(std::uint64_t gen) {
  if (gen != gen_ || closed_ || !waiting_) return;
  Respond(status::accepted);
}

void Connection::OnExchangeSse(std::uint64_t gen, std::shared_ptr<SseStream> stream) {
  if (gen != gen_ || closed_ || !waiting_) return;
  StartSse(stream, /*after=*/0);
}

// --- SSE -----------------------------------------------------------------------

void Connection::StartSse(const std::shared_ptr<SseStream>& stream, std::optional<std::uint64_t> after) {
  waiting_ = false;
  sink_ = std::make_shared<ConnectionSink>(weak_from_this(), socket_.get_executor(), gen_,
                                           shared_->options.max_stream_backlog);
  const auto cursor = stream->Attach(sink_, after);
  if (!cursor) {
    sink_.reset();
    RespondError(status::conflict, ErrorCode::kInvalidRequest,
                 "Conflict: only one standalone SSE stream is allowed per session");
    return;
  }
  stream_ = stream;
  sse_active_ = true;
  shared_->engine.metrics().sse_streams.Add(1);
  sse_end_ = false;
  sse_queue_.clear();
  sse_out_.clear();
  AppendStatusLine(sse_out_, status::ok);
  sse_out_.append("Content-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n");
  if (session_) AppendSessionHeader(sse_out_, session_->id());
  EndHead(sse_out_, keep_alive_);
  sse_out_.append(Chunk(stream->PrimingFrame(*cursor, shared_->options.sse_retry_ms)));
  sse_writing_ = true;
  sse_in_flight_ = 0;
  write_started_ms_ = NowMs();
  net::async_write(socket_, net::buffer(sse_out_),
                   [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                     self->sse_writing_ = false;
                     if (ec) return self->Close();
                     self->FlushSse();
                   });
  WatchPeer();
  KeepaliveTick();
}

void Connection::OnSseFrame(std::uint64_t gen, Frame frame) {
  if (gen != gen_ || closed_ || !sse_active_) return;
  sse_queue_.push_back(std::move(frame));
  FlushSse();
}

void Connection::OnSseEnd(std::uint64_t gen) {
  if (gen != gen_ || closed_ || !sse_active_) return;
  sse_end_ = true;
  FlushSse();
}

void Connection::FlushSse() {
  if (closed_ || sse_writing_ || !sse_active_) return;
  if (sse_queue_.empty()) {
    if (sse_end_) FinishSse();
    return;
  }
  sse_out_.clear();
  std::size_t payload = 0;
  for (const Frame& f : sse_queue_) payload += f->size();
  std::string data;
  data.reserve(payload);
  for (const Frame& f : sse_queue_) data.append(*f);
  sse_in_flight_ = sse_queue_.size();
  sse_queue_.clear();
  sse_out_ = Chunk(data);
  sse_writing_ = true;
  write_started_ms_ = NowMs();
  net::async_write(socket_, net::buffer(sse_out_),
                   [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                     self->sse_writing_ = false;
                     if (self->sink_) self->sink_->Written(self->sse_in_flight_);
                     self->sse_in_flight_ = 0;
                     if (ec) return self->Close();
                     if (self->session_) self->session_->Touch(self->shared_->engine.NowMs());
                     self->FlushSse();
                   });
}

void Connection::FinishSse() {
  sse_active_ = false;
  shared_->engine.metrics().sse_streams.Add(-1);
  keepalive_.cancel();
  if (stream_ && sink_) stream_->Detach(sink_.get());
  stream_.reset();
  sink_.reset();
  sse_out_ = "0\r\n\r\n";
  sse_writing_ = true;
  net::async_write(socket_, net::buffer(sse_out_),
                   [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                     self->sse_writing_ = false;
                     self->OnWritten(self->keep_alive_, ec);
                   });
}

void Connection::KeepaliveTick() {
  keepalive_.expires_after(shared_->options.keepalive_interval);
  keepalive_.async_wait([self = shared_from_this(), gen = gen_](boost::system::error_code ec) {
    if (ec || self->closed_ || !self->sse_active_ || self->gen_ != gen) return;
    if (self->sse_writing_) {
      // A write that has not finished in write_timeout: the peer is not reading.
      if (NowMs() - self->write_started_ms_ > self->shared_->options.write_timeout.count()) {
        self->shared_->engine.metrics().messages_dropped.Add();
        return self->Close();
      }
    } else if (self->sse_queue_.empty()) {
      // An SSE comment: keeps proxies from timing out and proves the peer alive.
      self->sse_out_ = Chunk(": keepalive\n\n");
      self->sse_writing_ = true;
      self->write_started_ms_ = NowMs();
      net::async_write(self->socket_, net::buffer(self->sse_out_),
                       [self](boost::system::error_code wec, std::size_t) {
                         self->sse_writing_ = false;
                         if (wec) return self->Close();
                         self->FlushSse();
                       });
    }
    if (self->session_) self->session_->Touch(self->shared_->engine.NowMs());
    self->KeepaliveTick();
  });
}

void Connection::WatchPeer() {
  // While a request is with the engine or a stream is open, the client has
  // nothing to send; readability means it closed (or pipelined, which is left
  // in the socket for the next read).
  socket_.async_wait(tcp::socket::wait_read,
                     [self = shared_from_this(), gen = gen_](boost::system::error_code ec) {
                       if (self->closed_ || self->gen_ != gen) return;
                       if (!(self->waiting_ || self->sse_active_)) return;
                       boost::system::error_code avail_ec;
                       const std::size_t n = self->socket_.available(avail_ec);
                       if (ec || avail_ec || n == 0) self->Close();
                     });
}

}  // namespace mcpx::transport::http
