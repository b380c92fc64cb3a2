#include "mcpx/http_transport.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "engine/port.h"
#include "observe/log.h"
#include "mcpx/server.h"
#include "transport/http/adopt.h"
#include "transport/http/connection.h"
#include "transport/http/tls.h"

namespace mcpx {
namespace net = boost::asio;
using transport::http::Connection;
using transport::http::HostPolicy;
using transport::http::HttpShared;
using transport::http::Stream;
using tcp = net::ip::tcp;

// The listener: accepts connections and hands each to one I/O thread's context
// (single-threaded, so the connection needs no strand).
class HttpTransport::Impl : public std::enable_shared_from_this<HttpTransport::Impl> {
 public:
  Impl(Server& server, HttpOptions options)
      : port_(server), options_(std::move(options)), acceptor_(port_.io()) {}

  std::uint16_t Listen() {
    // The certificate first: a server that cannot serve TLS should not bind.
    if (options_.tls) {
      std::string error;
      auto context = transport::http::MakeTlsContext(*options_.tls, &error);
      if (!context) throw std::invalid_argument(error);
      tls_ = std::make_unique<transport::http::TlsContextHolder>(*options_.tls, std::move(context));
    }
    tcp::endpoint endpoint(net::ip::make_address(options_.host), options_.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
    const std::uint16_t port = acceptor_.local_endpoint().port();
    HttpOptions options = options_;
    if (options.max_connections == 0) options.max_connections = DefaultMaxConnections(options.raise_fd_limit);
    shared_ = std::make_shared<HttpShared>(
        port_, options, HostPolicy(options.host, port, options.allowed_hosts, options.allowed_origins));
    shared_->loopback_bind = endpoint.address().is_loopback();
    if (!shared_->loopback_bind && !options.tls && !options.behind_proxy) {
      observe::Log().warn(
          "listening on {}:{} without TLS: give it a certificate (HttpOptions::tls) or put a TLS-terminating "
          "proxy in front of it and say so (HttpOptions::behind_proxy){}",
          options.host, port, options.metrics_token.empty() ? "; /metrics and /healthz are not served (no metrics_token)" : "");
    }
    if (options.auth && options.serve_mcp) {
      std::string resource = options.auth->resource;
      if (resource.empty()) {
        const bool v6 = endpoint.address().is_v6();
        resource = std::string(options.tls ? "https://" : "http://") + (v6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(port) +
                   options.path;
      }
      std::string error;
      shared_->bearer = transport::http::BearerGate::Make(*options.auth, std::move(resource), &error);
      if (!shared_->bearer) {
        acceptor_.close();
        throw std::invalid_argument(error);
      }
      observe::Log().info("bearer authentication on: resource {}, issuer {}", shared_->bearer->resource(),
                          options.auth->issuer);
    }
    // The guards' stale keys, on the engine's maintenance timer.
    maintenance_ = port_.AddMaintenance([weak = std::weak_ptr<HttpShared>(shared_)](std::int64_t now_ms) {
      if (auto shared = weak.lock()) shared->SweepGuards(now_ms);
    });
    net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->Accept(); });
    return port;
  }

  void Adopt(int fd) {
    tcp::socket socket(port_.NextIo());
    boost::system::error_code ec;
    socket.assign(tcp::v4(), fd, ec);
    if (ec) {
      ::close(fd);
      return;
    }
    Serve(std::move(socket), /*adopted=*/true);
  }

  bool ReloadCertificates(std::string* error) {
    if (!tls_) {
      if (error) *error = "this listener has no TLS";
      return false;
    }
    std::string why;
    if (!tls_->Reload(&why)) {
      observe::Log().warn("TLS certificate not reloaded, the old one stays: {}", why);
      if (error) *error = std::move(why);
      return false;
    }
    observe::Log().info("TLS certificate reloaded from {}", options_.tls->certificate_chain_file);
    return true;
  }

  void Close() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->acceptor_.close(ignored);
    });
  }

 private:
  void Accept() {
    acceptor_.async_accept(port_.NextIo(), [self = shared_from_this()](boost::system::error_code ec,
                                                                         tcp::socket socket) {
      if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) return;
      if (ec) return self->OnAcceptError(ec);
      if (self->backing_off_) {
        self->backing_off_ = false;
        observe::Log().info("accepting again");
      }
      socket.set_option(tcp::no_delay(true), ec);
      self->Serve(std::move(socket));
      self->Accept();
    });
  }

  // A connection for `socket`, or, at the connection cap or its address's,
  // a close at once. An adopted socket (tests, fuzzing) is served plain.
  void Serve(tcp::socket socket, bool adopted = false) {
    boost::system::error_code ignored;
    if (shared_->connections.load(std::memory_order_relaxed) >= shared_->options.max_connections) {
      socket.close(ignored);
      return;
    }
    std::string peer;
    if (const tcp::endpoint remote = socket.remote_endpoint(ignored); !ignored) peer = remote.address().to_string();
    if (shared_->BlockedFor(peer) > 0) {
      port_.metrics().reputation_refusals.Add();
      port_.RecordSecurity(guard::SecurityEventKind::kReputationRefused, peer);
      socket.close(ignored);
      return;
    }
    if (shared_->connect_limiter.enabled() && !peer.empty() &&
        shared_->connect_limiter.Admit(peer, [&peer] { return guard::AddressPrefix(peer); },
                                       port_.NowMs() * 1000) != 0) {
      port_.metrics().rate_limited[observe::kLimitConnectionRate].Add();
      shared_->Offend(peer, guard::Offense::kRateLimited, guard::SecurityEventKind::kRateLimited, "connection rate");
      socket.close(ignored);
      return;
    }
    guard::ConnectionSlot slot;
    if (const std::size_t limit = shared_->options.max_connections_per_ip; limit != 0 && !peer.empty()) {
      if (!shared_->connections_by_ip.Acquire(peer, limit)) {
        port_.metrics().connections_refused_per_ip.Add();
        shared_->Offend(peer, guard::Offense::kConnectionLimit, guard::SecurityEventKind::kConnectionRefused);
        socket.close(ignored);
        return;
      }
      slot = guard::ConnectionSlot(&shared_->connections_by_ip, peer);
    }
    Stream io = tls_ && !adopted ? Stream(std::move(socket), tls_->Current()) : Stream(std::move(socket));
    std::make_shared<Connection>(std::move(io), shared_, std::move(peer), std::move(slot))->Start();
  }

  // Out of file descriptors (EMFILE, ENFILE) or kernel memory, accept fails
  // at once for as long as the condition lasts: retrying at once would spin
  // on this thread (which also runs the engine's timers). Back off, and say
  // so once per episode.
  void OnAcceptError(boost::system::error_code ec) {
    port_.metrics().accept_errors.Add();
    const bool exhausted = ec == net::error::no_descriptors || ec.value() == ENFILE ||
                           ec == net::error::no_memory || ec == net::error::no_buffer_space;
    if (!exhausted) return Accept();  // ECONNABORTED and the like: the next one may work
    if (!backing_off_) observe::Log().warn("accept failed ({}): backing off 50 ms at a time", ec.message());
    backing_off_ = true;
    backoff_.expires_after(std::chrono::milliseconds(50));
    backoff_.async_wait([self = shared_from_this()](boost::system::error_code wec) {
      if (wec || !self->acceptor_.is_open()) return;
      self->Accept();
    });
  }

  // Raises the soft RLIMIT_NOFILE to the hard limit (when asked) and returns
  // the connection cap it allows: the limit less a reserve for the rest of
  // the process (listeners, logs, the tools' own files).
  static std::size_t DefaultMaxConnections(bool raise) {
    constexpr rlim_t kReserve = 64;
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
    const rlim_t before = lim.rlim_cur;
    if (raise && lim.rlim_cur != lim.rlim_max) {
      rlimit raised = lim;
      raised.rlim_cur = lim.rlim_max == RLIM_INFINITY ? std::max<rlim_t>(lim.rlim_cur, 1 << 20) : lim.rlim_max;
      if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
    }
    const std::size_t cap = lim.rlim_cur > 2 * kReserve ? static_cast<std::size_t>(lim.rlim_cur - kReserve)
                                                        : static_cast<std::size_t>(lim.rlim_cur / 2);
    observe::Log().info("file descriptor limit {} (soft limit was {}); at most {} HTTP connections",
                        lim.rlim_cur, before, cap);
    return std::max<std::size_t>(cap, 1);
  }

  engine::Port port_;
  const HttpOptions options_;
  tcp::acceptor acceptor_;
  net::steady_timer backoff_{acceptor_.get_executor()};
  bool backing_off_ = false;
  std::shared_ptr<HttpShared> shared_;
  std::unique_ptr<transport::http::TlsContextHolder> tls_;  // set by Listen with HttpOptions::tls
  engine::Maintenance::Handle maintenance_;
};

HttpTransport::HttpTransport(Server& server, HttpOptions options)
    : impl_(std::make_shared<Impl>(server, std::move(options))) {}

HttpTransport::~HttpTransport() { impl_->Close(); }

std::uint16_t HttpTransport::Listen() { return impl_->Listen(); }

void HttpTransport::Close() { impl_->Close(); }

bool HttpTransport::ReloadCertificates(std::string* error) { return impl_->ReloadCertificates(error); }

namespace transport::http {
void AdoptConnection(HttpTransport& transport, int fd) { transport.impl_->Adopt(fd); }
}  // namespace transport::http

}  // namespace mcpx
