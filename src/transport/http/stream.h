// The byte stream under one HTTP connection: the accepted TCP socket, or TLS
// over it (HttpOptions::tls). The connection's code is written once against
// this; each operation picks the layer at run time (one predictable branch),
// so the plain path pays nothing for TLS being possible and the connection
// code is not a template.
//
// Threading: as the connection's (one I/O thread).
#pragma once

#include <memory>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

namespace mcpx::transport::http {

class Stream {
 public:
  using tcp = boost::asio::ip::tcp;
  using TlsStream = boost::asio::ssl::stream<tcp::socket>;

  explicit Stream(tcp::socket socket) : tcp_(std::move(socket)) {}
  // TLS with `context` (kept alive as long as the stream: a reload replaces
  // the listener's context, not this one).
  Stream(tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> context)
      : tcp_(socket.get_executor()),
        context_(std::move(context)),
        tls_(std::make_unique<TlsStream>(std::move(socket), *context_)) {}

  bool tls() const { return tls_ != nullptr; }
  // The TCP socket, under TLS or not: for addresses, readiness waits,
  // shutdown and close, and, once TLS is done with, draining.
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : tcp_; }
  boost::asio::any_io_executor executor() { return tcp_.get_executor(); }

  // Server side of the TLS handshake. Only with tls().
  template <class Handler>
  void AsyncHandshake(Handler&& handler) {
    tls_->async_handshake(boost::asio::ssl::stream_base::server, std::forward<Handler>(handler));
  }
  template <class Buffers, class Handler>
  void AsyncReadSome(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      tcp_.async_read_some(buffers, std::forward<Handler>(handler));
    }
  }
  // All of `buffers` (boost::asio::async_write).
  template <class Buffers, class Handler>
  void AsyncWrite(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      boost::asio::async_write(*tls_, buffers, std::forward<Handler>(handler));
    } else {
      boost::asio::async_write(tcp_, buffers, std::forward<Handler>(handler));
    }
  }

 private:
  tcp::socket tcp_;  // the plain connection; with TLS, unused (the socket is tls_'s)
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::unique_ptr<TlsStream> tls_;
};

}  // namespace mcpx::transport::http
