// The SSE half of Connection: a stream's response, its frames as they come,
// keepalives, and the watch for a peer that went away.
#include <boost/asio/write.hpp>

#include "mcpx/error.h"
#include "transport/http/connection.h"
#include "transport/http/exchange.h"
#include "transport/http/wire.h"

namespace mcpx::transport::http {
namespace net = boost::asio;
using beast_http::status;
using wire::AppendChunkSize;
using wire::AppendSessionHeader;
using wire::AppendStatusLine;
using wire::Chunk;
using wire::EndHead;
using wire::NowMs;

// --- SSE -----------------------------------------------------------------------

void Connection::StartSse(const std::shared_ptr<SseStream>& stream, std::optional<std::uint64_t> after) {
  waiting_ = false;
  if (shared_->port.draining()) keep_alive_ = false;
  sink_ = std::make_shared<ConnectionSink>(weak_from_this(), io_.executor(), gen_, shared_->options,
                                           shared_->port.buffer_budget(), shared_->port.metrics());
  const auto cursor = stream->Attach(sink_, after);
  if (!cursor) {
    sink_.reset();
    Respond(ErrorAnswer(status::conflict, ErrorCode::kInvalidRequest,
                 "Conflict: only one standalone SSE stream is allowed per session"));
    return;
  }
  stream_ = stream;
  sse_active_ = true;
  shared_->port.metrics().sse_streams.Add(1);
  sse_end_ = false;
  sse_queue_.clear();
  sse_out_.clear();
  AppendStatusLine(sse_out_, status::ok);
  // X-Accel-Buffering: proxies (nginx) must pass events on as they come.
  sse_out_.append(
      "Content-Type: text/event-stream\r\nCache-Control: no-cache\r\nX-Accel-Buffering: no\r\n"
      "Transfer-Encoding: chunked\r\n");
  if (session_) AppendSessionHeader(sse_out_, session_->id());
  EndHead(sse_out_, keep_alive_);
  if (stream->resumable()) sse_out_.append(Chunk(stream->PrimingFrame(*cursor, shared_->options.sse_retry_ms)));
  sse_writing_ = true;
  write_started_ms_ = NowMs();
  io_.AsyncWrite(net::buffer(sse_out_),
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
  // One chunk of every queued frame, written from the frames themselves (a
  // gather write): the event text is never copied again.
  std::size_t payload = 0;
  for (const Frame& f : sse_queue_) payload += f->size();
  sse_writing_frames_.clear();
  sse_writing_frames_.swap(sse_queue_);
  sse_out_.clear();
  AppendChunkSize(sse_out_, payload);
  std::vector<net::const_buffer> buffers;
  buffers.reserve(sse_writing_frames_.size() + 2);
  buffers.push_back(net::buffer(sse_out_));
  for (const Frame& f : sse_writing_frames_) buffers.push_back(net::buffer(*f));
  buffers.push_back(net::buffer("\r\n", 2));
  sse_writing_ = true;
  write_started_ms_ = NowMs();
  io_.AsyncWrite(buffers, [self = shared_from_this(), payload](boost::system::error_code ec, std::size_t) {
    self->sse_writing_ = false;
    if (self->sink_) self->sink_->Written(self->sse_writing_frames_.size(), payload);
    self->sse_writing_frames_.clear();
    if (ec) return self->Close();
    if (self->session_) self->session_->Touch(self->shared_->port.NowMs());
    self->FlushSse();
  });
}

void Connection::FinishSse() {
  sse_active_ = false;
  shared_->port.metrics().sse_streams.Add(-1);
  keepalive_.cancel();
  if (stream_ && sink_) stream_->Detach(sink_.get());
  stream_.reset();
  sink_.reset();
  sse_out_ = "0\r\n\r\n";
  sse_writing_ = true;
  io_.AsyncWrite(net::buffer(sse_out_),
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
        self->shared_->port.metrics().messages_dropped.Add();
        return self->Close();
      }
    } else if (self->sse_queue_.empty()) {
      // An SSE comment: keeps proxies from timing out and proves the peer alive.
      self->sse_out_ = Chunk(": keepalive\n\n");
      self->sse_writing_ = true;
      self->write_started_ms_ = NowMs();
      self->io_.AsyncWrite(net::buffer(self->sse_out_),
                       [self](boost::system::error_code wec, std::size_t) {
                         self->sse_writing_ = false;
                         if (wec) return self->Close();
                         self->FlushSse();
                       });
    }
    if (self->session_) self->session_->Touch(self->shared_->port.NowMs());
    self->KeepaliveTick();
  });
}

void Connection::WatchPeer() {
  // While a request is with the engine or a stream is open, the client has
  // nothing to send; readability means it closed (or pipelined, which is left
  // in the socket for the next read).
  // Under TLS, on the TCP socket too: a close_notify before the FIN leaves
  // bytes to read, so such a client is found out at the next write instead.
  io_.socket().async_wait(tcp::socket::wait_read, [self = shared_from_this(), gen = gen_](boost::system::error_code ec) {
    if (self->closed_ || self->gen_ != gen) return;
    if (!(self->waiting_ || self->sse_active_)) return;
    boost::system::error_code avail_ec;
    const std::size_t n = self->io_.socket().available(avail_ec);
    if (ec || avail_ec || n == 0) self->Close();
  });
}

}  // namespace mcpx::transport::http
