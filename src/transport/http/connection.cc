#include "transport/http/connection.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/read_size.hpp>

#include "mcpx/error.h"
#include "observe/log.h"
#include "protocol/jsonrpc.h"
#include "transport/http/exchange.h"
#include "transport/http/wire.h"

namespace mcpx::transport::http {
namespace net = boost::asio;
using beast_http::status;
using wire::AppendNumber;
using wire::AppendStatusLine;
using wire::EndHead;
using wire::NowMs;

namespace {

// Bodies up to this size are parsed on the I/O thread (about 1 ms of nested
// arrays at most); larger ones on a worker.
constexpr std::size_t kInlineParseBytes = 64 << 10;

}  // namespace

// The read buffer holds at most a header section (and what was pipelined
// behind it), plus a little slack so that Beast's header limit, not the
// buffer, answers an oversized header. Bodies stream through it into the
// request; a chunk-size line or trailer section must fit in it whole, which
// bounds trailers by the header limit too.
static std::size_t ReadBufferLimit(const HttpOptions& o) { return o.max_header_bytes + 1024; }

Connection::Connection(Stream io, std::shared_ptr<HttpShared> shared, std::string peer,
                       guard::ConnectionSlot slot)
    : io_(std::move(io)),
      shared_(std::move(shared)),
      buffer_(ReadBufferLimit(shared_->options)),
      timer_(io_.executor()),
      keepalive_(io_.executor()),
      peer_(std::move(peer)),
      slot_(std::move(slot)) {
  request_.body_lease = ByteLease(&shared_->port.buffer_budget());
  shared_->connections.fetch_add(1, std::memory_order_relaxed);
  shared_->port.metrics().http_connections.Add(1);
}

Connection::~Connection() {
  if (sse_active_) shared_->port.metrics().sse_streams.Add(-1);
  shared_->port.metrics().http_connections.Add(-1);
  shared_->connections.fetch_sub(1, std::memory_order_relaxed);
}

void Connection::Start() {
  if (peer_.empty()) {
    boost::system::error_code ec;
    const tcp::endpoint remote = io_.socket().remote_endpoint(ec);
    if (!ec) peer_ = remote.address().to_string();
  }
  net::post(io_.executor(), [self = shared_from_this()] {
    if (self->io_.tls()) return self->Handshake();
    self->ReadRequest();
  });
}

void Connection::Handshake() {
  // Counted as a failure unless it completes: a client that connects and
  // never finishes the handshake is cut off at the deadline.
  SetDeadline(shared_->options.tls_handshake_timeout);
  io_.AsyncHandshake([self = shared_from_this()](boost::system::error_code ec) {
    self->ClearDeadline();
    if (ec) {
      // Failed, or cut off at the deadline (Close() aborted it). Not an
      // offense: a client that does not trust our certificate ends the
      // handshake too. Counted.
      self->shared_->port.metrics().tls_handshake_failures.Add();
      return self->Close();
    }
    if (self->closed_) return;
    self->ReadRequest();
  });
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  if (stream_ && sink_) stream_->Detach(sink_.get());
  // A stateless request's stream ends with its connection: the request is
  // cancelled (a listen stream leaves the hub).
  if (stream_ && !stream_->resumable()) stream_->Abandon();
  stream_.reset();
  boost::system::error_code ignored;
  io_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  io_.socket().close(ignored);
  timer_.cancel();
  keepalive_.cancel();
}

void Connection::SetDeadline(std::chrono::milliseconds after) {
  deadline_ms_ = NowMs() + after.count();
  if (timer_at_ms_ == 0 || deadline_ms_ < timer_at_ms_) ArmTimer(deadline_ms_);
}

void Connection::StartRequestDeadline() {
  // A client dribbling its head (slowloris) is cut off at header_timeout;
  // the whole request has read_timeout.
  const auto& o = shared_->options;
  request_started_ms_ = NowMs();
  in_head_ = true;
  SetDeadline(std::min(o.header_timeout, o.read_timeout));
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
  if (deadline_ms_ != 0 && now >= deadline_ms_) {
    // Cut off mid-head: a slow-header client (slowloris), an offense.
    if (in_head_ && !gated_) {
      shared_->Offend(peer_, guard::Offense::kHeaderTimeout, guard::SecurityEventKind::kHeaderTimeout);
    }
    return Close();
  }
  const auto& o = shared_->options;
  const std::int64_t tick = std::max<std::int64_t>(
      1, std::min({o.header_timeout, o.read_timeout, o.idle_timeout, o.write_timeout}).count());
  ArmTimer(deadline_ms_ != 0 ? std::min(deadline_ms_, now + tick) : now + tick);
}

// --- Reading -------------------------------------------------------------------

void Connection::ReadRequest() {
  if (closed_) return;
  ++gen_;
  waiting_ = false;
  session_.reset();
  parser_.emplace(request_, shared_->limits);
  continue_sent_ = false;
  gated_ = false;
  in_head_ = false;
  if (buffer_.size() > 0) {  // pipelined: the request has begun
    StartRequestDeadline();
    ReadRest();
    return;
  }
  // An idle connection keeps no large buffer.
  if (buffer_.capacity() > 4096) buffer_.shrink_to_fit();
  SetDeadline(shared_->options.idle_timeout);
  // A plain read for the first bytes (no syscall until the socket is readable:
  // the last read drained it), so that the read timeout can start with them.
  io_.AsyncReadSome(buffer_.prepare(boost::beast::read_size(buffer_, 65536)),
                    [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                      self->OnFirstBytes(ec, n);
                    });
}

void Connection::OnFirstBytes(boost::system::error_code ec, std::size_t n) {
  if (ec) return OnRead(ec);
  buffer_.commit(n);
  StartRequestDeadline();
  ReadRest();
}

void Connection::ReadRest() {
  // Most requests arrive whole: parse what is buffered here, and go back to
  // the socket only for the rest.
  boost::beast::error_code ec;
  try {
    while (!parser_->is_done() && buffer_.size() > 0) {
      const std::size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec || used == 0) break;
      // The head is in (Beast stops after it): the limits decide before any
      // of the body is taken.
      if (!gated_ && parser_->is_header_done()) {
        gated_ = true;
        // The head is in: the rest of the request has what is left of the
        // read timeout.
        deadline_ms_ = request_started_ms_ + shared_->options.read_timeout.count();
        if (!PassesRateLimits()) return;
        // A request to the MCP endpoint proves its token before its body
        // is read: an unauthenticated client cannot make us take 4 MiB.
        if (shared_->bearer && ToEndpoint() && !Authenticated(/*before_body=*/true)) return;
      }
    }
  } catch (const std::exception& e) {
    // The parser reports errors as codes; this is the last line of defence
    // (say, an allocation failure): the request is refused, the process lives.
    observe::Log().warn("HTTP parser threw: {}", e.what());
    ec = beast_http::error::bad_field;
  }
  if (ec == beast_http::error::need_more) ec = {};
  if (ec || parser_->is_done()) return OnRead(ec);
  if (parser_->is_header_done() && request_.headers.expect_continue && !continue_sent_) {
    // The client waits for this before it sends the body (RFC 9110 10.1.1).
    continue_sent_ = true;
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    io_.AsyncWrite(net::buffer(kContinue.data(), kContinue.size()),
                   [self = shared_from_this()](boost::system::error_code wec, std::size_t) {
                     if (wec) return self->Close();
                     self->ReadMore();
                   });
    return;
  }
  ReadMore();
}

bool Connection::PassesRateLimits() {
  if (shared_->BlockedFor(peer_) > 0) {
    shared_->port.metrics().reputation_refusals.Add();
    shared_->port.RecordSecurity(guard::SecurityEventKind::kReputationRefused, peer_);
    ClearDeadline();
    keep_alive_ = false;
    request_.ReleaseBody();
    Answer refused = ErrorAnswer(status::forbidden, ErrorCode::kServerOverloaded,
                                 "Forbidden: this client address is blocked for a while after repeated offenses");
    refused.close = true;
    Respond(std::move(refused));
    return false;
  }
  if (!shared_->ip_limiter.enabled() || peer_.empty()) return true;
  const std::int64_t wait_us = shared_->ip_limiter.Admit(
      peer_, [this] { return guard::AddressPrefix(peer_); }, shared_->port.NowMs() * 1000);
  if (wait_us == 0) return true;
  shared_->Offend(peer_, guard::Offense::kRateLimited, guard::SecurityEventKind::kRateLimited, "address request rate");
  ClearDeadline();
  keep_alive_ = false;
  request_.ReleaseBody();
  Respond(RateLimitedAnswer(shared_->port.metrics(), (wait_us + 999'999) / 1'000'000));
  return false;
}

void Connection::ReadMore() {
  if (closed_) return;
  const std::size_t size = boost::beast::read_size(buffer_, 65536);
  if (size == 0) {
    // A chunk-size line or trailer section larger than the whole buffer.
    return OnRead(beast_http::error::buffer_overflow);
  }
  io_.AsyncReadSome(buffer_.prepare(size), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
    if (ec) return self->OnRead(ec);
    self->buffer_.commit(n);
    self->ReadRest();
  });
}

void Connection::OnRead(boost::system::error_code ec) {
  ClearDeadline();
  if (closed_) return;
  // A TLS client that closes TCP without close_notify (most HTTP client
  // pools do) ends its stream truncated: a close like any other.
  if (ec == beast_http::error::end_of_stream || ec == net::error::eof ||
      ec == net::error::operation_aborted || ec == net::error::connection_reset ||
      ec == net::ssl::error::stream_truncated) {
    Close();
    return;
  }
  if (ec) {
    keep_alive_ = false;  // after a framing error the stream cannot be trusted
    if (parser_->refusal() != RequestRefusal::kOverloaded) {
      shared_->Offend(peer_, guard::Offense::kMalformedRequest, guard::SecurityEventKind::kMalformedRequest, "HTTP");
    }
    request_.ReleaseBody();
    switch (parser_->refusal()) {
      case RequestRefusal::kOverloaded:
        Respond(OverloadedAnswer(shared_->port.metrics()));
        return;
      case RequestRefusal::kTooManyFields:
        Respond(ErrorAnswer(status::request_header_fields_too_large, ErrorCode::kInvalidRequest,
                     "Too many header fields"));
        return;
      case RequestRefusal::kDuplicateField:
        Respond(ErrorAnswer(status::bad_request, ErrorCode::kInvalidRequest,
                     "Bad Request: a header field that must be unique is repeated"));
        return;
      case RequestRefusal::kNone:
        break;
    }
    if (ec == beast_http::error::body_limit) {
      Respond(ErrorAnswer(status::payload_too_large, ErrorCode::kInvalidRequest, "Request body too large"));
    } else if (ec == beast_http::error::header_limit || ec == beast_http::error::buffer_overflow) {
      Respond(ErrorAnswer(status::request_header_fields_too_large, ErrorCode::kInvalidRequest,
                   "Request header fields too large"));
    } else {
      Respond(ErrorAnswer(status::bad_request, ErrorCode::kInvalidRequest, "Malformed HTTP request"));
    }
    return;
  }
  keep_alive_ = request_.keep_alive;
  Route();
  // The body was parsed (or refused) by now: an idle keep-alive connection
  // holds no request body.
  request_.ReleaseBody();
}

// --- Routing -------------------------------------------------------------------

void Connection::Route() {
  Answer answer;
  switch (RouteRequest(request_, *shared_, answer)) {
    case http::Route::kAnswered:
      if (answer.status == status::forbidden) {  // Host or Origin not allowed
        shared_->Offend(peer_, guard::Offense::kOriginRejected, guard::SecurityEventKind::kOriginRejected);
      } else if (answer.status == status::bad_request) {
        shared_->Offend(peer_, guard::Offense::kMalformedRequest, guard::SecurityEventKind::kMalformedRequest);
      }
      return Respond(std::move(answer));
    case http::Route::kPost:
      if (!Authenticated()) return;
      return HandlePost();
    case http::Route::kGet:
      if (!Authenticated()) return;
      return HandleGet();
    case http::Route::kDelete:
      if (!Authenticated()) return;
      return Respond(Delete(request_.headers, *shared_));
  }
}

bool Connection::ToEndpoint() const {
  const std::string_view target = request_.target;
  return shared_->options.serve_mcp && target.substr(0, target.find('?')) == shared_->options.path;
}

bool Connection::Authenticated(bool before_body) {
  const BearerGate* gate = shared_->bearer.get();
  if (gate == nullptr || request_.headers.principal) return true;
  const std::int64_t now_s = shared_->port.WallMs() / 1000;
  auto checked = gate->Check(request_.headers.authorization, now_s, bearer_memo_);
  if (auto* pending = std::get_if<BearerPending>(&checked)) {
    if (before_body) {
      AwaitIntrospection(std::move(pending->token), now_s);
      return false;
    }
    // Not reached: a request to the endpoint was checked at its head.
    return Admit(BearerRefusal{503, "", "Service Unavailable: the access token was not checked; retry"}, before_body);
  }
  if (auto* principal = std::get_if<engine::PrincipalPtr>(&checked)) return Admit(std::move(*principal), before_body);
  return Admit(std::get<BearerRefusal>(std::move(checked)), before_body);
}

void Connection::AwaitIntrospection(std::string token, std::int64_t now_s) {
  // Reading stops until the authorization server has answered (on a
  // worker); the request's read timeout still runs. Then the head's check
  // ends here, on this connection's thread.
  shared_->port.metrics().introspection_waits.Add();
  shared_->bearer->Introspect(
      std::move(token), now_s, [weak = weak_from_this(), gen = gen_](auth::Introspector::Outcome outcome) {
        // A connection that is gone is not answered (its I/O thread may be
        // gone too: its executor is reached only through it).
        auto self = weak.lock();
        if (!self) return;
        auto executor = self->io_.executor();
        net::post(executor, [self = std::move(self), gen, outcome = std::move(outcome)] {
          self->OnIntrospected(gen, outcome);
        });
      });
}

void Connection::OnIntrospected(std::uint64_t gen, const auth::Introspector::Outcome& outcome) {
  if (gen != gen_ || closed_) return;
  const BearerGate* gate = shared_->bearer.get();
  if (!Admit(gate->Conclude(outcome), /*before_body=*/true)) return;
  ReadRest();  // the head passed: on with the body
}

bool Connection::Admit(BearerVerdict verdict, bool before_body) {
  if (auto* principal = std::get_if<engine::PrincipalPtr>(&verdict)) {
    request_.headers.principal = std::move(*principal);
    return true;
  }
  const BearerRefusal& refusal = std::get<BearerRefusal>(verdict);
  shared_->port.metrics().auth_refusals.Add();
  if (refusal.status == 503) shared_->port.metrics().introspection_unavailable.Add();
  // A token was sent and is no good (no token: discovery; 503: the
  // authorization server did not answer, which says nothing of the token).
  if (!request_.headers.authorization.empty() && refusal.status != 503) {
    shared_->Offend(peer_, guard::Offense::kAuthFailure, guard::SecurityEventKind::kAuthFailed);
  }
  const BearerGate* gate = shared_->bearer.get();
  if (gate->refresh_requested()) {
    // A token named a key we lack: the authorization server may have
    // rotated its keys. Fetch them on a worker (rate-limited by the cache).
    shared_->port.Post([weak = std::weak_ptr<HttpShared>(shared_), now_s = shared_->port.WallMs() / 1000] {
      if (auto shared = weak.lock(); shared && shared->bearer) shared->bearer->Maintain(now_s);
    });
  }
  if (before_body) {
    // The body is not read: the connection cannot be reused.
    ClearDeadline();
    keep_alive_ = false;
  }
  request_.ReleaseBody();
  Answer answer = BearerAnswer(refusal);
  answer.close = before_body;
  Respond(std::move(answer));
  return false;
}

void Connection::HandlePost() {
  if (auto refused = CheckPost(request_.headers)) return Respond(std::move(*refused));
  if (request_.body.size() <= kInlineParseBytes) {
    protocol::ParseOutcome parsed = protocol::Parse(request_.body);
    request_.ReleaseBody();
    Dispatch(std::move(parsed), /*offloaded=*/false);
    return;
  }
  // A large body is parsed on a worker, so that it delays no other
  // connection of this I/O thread; the answer continues here. The parse may
  // build a tree several times the text's size: that is charged first.
  auto lease = std::make_shared<ByteLease>();
  auto body = std::make_shared<std::string>(request_.TakeBody(*lease));
  if (!lease->Resize(body->size() * protocol::kTreeBytesPerTextByte)) {
    return Respond(OverloadedAnswer(shared_->port.metrics()));
  }
  waiting_ = true;
  shared_->port.metrics().offloaded_parses.Add();
  shared_->port.Post([weak = weak_from_this(), executor = io_.executor(), gen = gen_, body, lease] {
    // The body and its charge go with this task; the tree is charged by the
    // engine once dispatched.
    auto parsed = std::make_shared<protocol::ParseOutcome>(protocol::Parse(*body));
    net::post(executor, [weak, gen, parsed] {
      if (auto c = weak.lock()) c->OnParsed(gen, std::move(*parsed));
    });
  });
}

void Connection::OnParsed(std::uint64_t gen, protocol::ParseOutcome parsed) {
  if (gen != gen_ || closed_ || !waiting_) return;
  Dispatch(std::move(parsed), /*offloaded=*/true);
}

void Connection::Dispatch(protocol::ParseOutcome parsed, bool offloaded) {
  if (parsed.failure) {
    shared_->Offend(peer_, guard::Offense::kMalformedRequest, guard::SecurityEventKind::kMalformedRequest, "JSON-RPC");
  }
  auto admitted = AdmitPost(parsed, request_.headers, *shared_);
  if (auto* answer = std::get_if<Answer>(&admitted)) return Respond(std::move(*answer));
  Admitted& a = std::get<Admitted>(admitted);
  if (!a.initialized.empty()) return Respond(InitializedAnswer(a));
  session_ = std::move(a.session);
  protocol::Message& message = *parsed.message;
  std::shared_ptr<PostExchange> exchange;
  if (message.is_request()) {
    exchange = std::make_shared<PostExchange>(
        weak_from_this(), io_.executor(), gen_,
        session_ ? std::shared_ptr<HttpSessionState>(session_, &StateOf(*session_)) : nullptr,
        session_ ? nullptr : shared_, shared_->options.json_responses);
    waiting_ = true;
  }
  if (offloaded) {
    auto moved = std::make_shared<protocol::Message>(std::move(message));
    shared_->port.Post([shared = shared_, session = session_, moved, exchange, peer = peer_,
                        principal = request_.headers.principal] {
      shared->port.Deliver(session, std::move(*moved), exchange, nullptr, peer, principal);
    });
  } else {
    shared_->port.Deliver(session_, std::move(message), exchange, nullptr, peer_, request_.headers.principal);
  }
  if (!exchange) {
    Respond(status::accepted);  // a notification or a response: nothing to wait for
    return;
  }
  // Still waiting (the handler runs elsewhere or has not answered yet): watch
  // for the client going away meanwhile. An inline answer needs no watch, and
  // skipping it saves a syscall (epoll_ctl) per request.
  if (waiting_ && !closed_) WatchPeer();
}

void Connection::HandleGet() {
  auto admitted = AdmitGet(request_.headers, *shared_);
  if (auto* answer = std::get_if<Answer>(&admitted)) return Respond(std::move(*answer));
  StreamChoice& choice = std::get<StreamChoice>(admitted);
  session_ = std::move(choice.session);
  StartSse(choice.stream, choice.after);
}

// --- Responses -----------------------------------------------------------------

void Connection::Respond(status st, std::string_view content_type, std::string body,
                         std::string_view extra_headers) {
  if (closed_) return;
  waiting_ = false;
  if (shared_->port.draining()) keep_alive_ = false;  // shutting down: no next request here
  if (static_cast<unsigned>(st) >= 400) shared_->port.metrics().http_errors.Add();
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
  io_.AsyncWrite(buffers,
                 [self = shared_from_this(), keep_alive = keep_alive_](boost::system::error_code ec, std::size_t) {
                   self->OnWritten(keep_alive, ec);
                 });
}

void Connection::Respond(Answer answer) {
  if (answer.close) keep_alive_ = false;
  Respond(answer.status, answer.content_type, std::move(answer.body), answer.headers);
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
  // Under TLS too, at the TCP level: the answer was written whole, and what
  // the client still sends is discarded unread (no close_notify is sent; the
  // answer's length is in its head).
  boost::system::error_code ignored;
  io_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  ++gen_;
  SetDeadline(std::chrono::seconds(1));
  Drain(0);
}

void Connection::Drain(std::size_t drained) {
  constexpr std::size_t kMaxDrain = 8 << 20;
  if (closed_ || drained > kMaxDrain) return Close();
  auto scratch = std::make_shared<std::array<char, 16384>>();
  io_.socket().async_read_some(
      net::buffer(*scratch), [self = shared_from_this(), scratch, drained](boost::system::error_code ec, std::size_t n) {
        if (ec) return self->Close();
        self->Drain(drained + n);
      });
}

void Connection::OnExchangeJson(std::uint64_t gen, std::string body) {
  if (gen != gen_ || closed_ || !waiting_) return;
  Respond(status::ok, "application/json", std::move(body));
}

void Connection::OnExchangeSse(std::uint64_t gen, std::shared_ptr<SseStream> stream) {
  if (gen != gen_ || closed_ || !waiting_) return;
  StartSse(stream, /*after=*/0);
}

}  // namespace mcpx::transport::http
