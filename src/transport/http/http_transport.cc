#include "mcpx/http_transport.h"

#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include "engine/engine.h"
#include "mcpx/server.h"
#include "transport/http/adopt.h"
#include "transport/http/connection.h"

namespace mcpx {
namespace net = boost::asio;
using transport::http::Connection;
using transport::http::HostPolicy;
using transport::http::HttpShared;
using tcp = net::ip::tcp;

// The listener: accepts connections and hands each to one I/O thread's context
// (single-threaded, so the connection needs no strand).
class HttpTransport::Impl : public std::enable_shared_from_this<HttpTransport::Impl> {
 public:
  Impl(Server& server, HttpOptions options)
      : engine_(server.engine()), options_(std::move(options)), acceptor_(engine_.io()) {}

  std::uint16_t Listen() {
    tcp::endpoint endpoint(net::ip::make_address(options_.host), options_.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
    const std::uint16_t port = acceptor_.local_endpoint().port();
    shared_ = std::make_shared<HttpShared>(
        engine_, options_,
        HostPolicy(options_.host, port, options_.allowed_hosts, options_.allowed_origins));
    net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->Accept(); });
    return port;
  }

  void Adopt(int fd) {
    tcp::socket socket(engine_.NextIo());
    boost::system::error_code ec;
    socket.assign(tcp::v4(), fd, ec);
    if (ec) {
      ::close(fd);
      return;
    }
    std::make_shared<Connection>(std::move(socket), shared_)->Start();
  }

  void Close() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->acceptor_.close(ignored);
    });
  }

 private:
  void Accept() {
    acceptor_.async_accept(engine_.NextIo(),
                           [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
                             if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) return;
                             if (!ec) {
                               if (self->shared_->connections.load(std::memory_order_relaxed) >=
                                   self->options_.max_connections) {
                                 boost::system::error_code ignored;
                                 socket.close(ignored);
                               } else {
                                 socket.set_option(tcp::no_delay(true), ec);
                                 std::make_shared<Connection>(std::move(socket), self->shared_)->Start();
                               }
                             }
                             self->Accept();
                           });
  }

  engine::Engine& engine_;
  const HttpOptions options_;
  tcp::acceptor acceptor_;
  std::shared_ptr<HttpShared> shared_;
};

HttpTransport::HttpTransport(Server& server, HttpOptions options)
    : impl_(std::make_shared<Impl>(server, std::move(options))) {}

HttpTransport::~HttpTransport() { impl_->Close(); }

std::uint16_t HttpTransport::Listen() { return impl_->Listen(); }

void HttpTransport::Close() { impl_->Close(); }

namespace transport::http {
void AdoptConnection(HttpTransport& transport, int fd) { transport.impl_->Adopt(fd); }
}  // namespace transport::http

}  // namespace mcpx
