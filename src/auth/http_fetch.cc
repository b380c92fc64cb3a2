#include "auth/http_fetch.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <optional>
#include <utility>

namespace mcpx::auth {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

struct Target {
  bool tls = false;
  std::string host;         // name or address, without brackets
  std::string port;
  std::string host_header;  // as in the URL: "[::1]:8080"
  std::string path;         // path and query
};

bool IsLoopbackLiteral(const std::string& host) {
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  return ec ? host == "localhost" : address.is_loopback();
}

std::optional<Target> ParseUrl(std::string_view text) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) return std::nullopt;
  const boost::urls::url_view& url = *parsed;
  Target t;
  if (url.scheme_id() == boost::urls::scheme::https) {
    t.tls = true;
  } else if (url.scheme_id() != boost::urls::scheme::http) {
    return std::nullopt;
  }
  const auto type = url.host_type();
  if (url.has_userinfo() || (type != boost::urls::host_type::name && type != boost::urls::host_type::ipv4 &&
                             type != boost::urls::host_type::ipv6)) {
    return std::nullopt;
  }
  t.host = url.host_address();
  for (const char c : t.host) {  // a percent-decoded name may hold anything
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':')) return std::nullopt;
  }
  if (t.host.empty() || (url.has_port() && url.port_number() == 0)) return std::nullopt;
  t.port = url.has_port() ? std::string(url.port()) : (t.tls ? "443" : "80");
  t.host_header = url.encoded_host_and_port();
  t.path = url.encoded_target();
  if (t.path.empty() || t.path.front() != '/') t.path.insert(0, "/");
  return t;
}

// Runs one asynchronous operation until it completes or `deadline` passes.
// `start(done)` begins it, and its handler calls done(ec). On the deadline,
// `cancel()` aborts it (closes the socket), and the aborted handler is run
// before returning, so nothing outlives this frame.
template <class Start, class Cancel>
error_code RunStep(asio::io_context& io, Clock::time_point deadline, Start&& start, Cancel&& cancel) {
  std::optional<error_code> result;
  start([&result](error_code ec) { result = ec; });
  io.restart();
  io.run_until(deadline);
  if (result) return *result;
  cancel();
  io.restart();
  io.run();
  return asio::error::timed_out;
}

class Exchange {
 public:
  Exchange(const Target& target, http::request<http::string_body> request, const FetchOptions& options)
      : target_(target), request_(std::move(request)), options_(options),
        deadline_(Clock::now() + options.timeout) {}

  Result<HttpReply, FetchError> Run() {
    tcp::resolver resolver(io_);
    tcp::resolver::results_type endpoints;
    error_code ec = RunStep(
        io_, deadline_,
        [&](auto done) {
          resolver.async_resolve(target_.host, target_.port, [&endpoints, done](error_code e, auto results) {
            endpoints = std::move(results);
            done(e);
          });
        },
        [&] { resolver.cancel(); });
    if (ec) return ec == asio::error::timed_out ? FetchError::kTimeout : FetchError::kResolve;
    if (!target_.tls && !options_.allow_remote_http) {
      for (const auto& entry : endpoints) {
        if (!entry.endpoint().address().is_loopback()) return FetchError::kInsecureUrl;
      }
    }
    if (!target_.tls) {
      tcp::socket socket(io_);
      if (auto e = Connect(socket, endpoints)) return *e;
      return Transfer(socket, socket);
    }

    ssl::context context(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
    context.set_default_verify_paths(ec);
    if (!ec && !options_.extra_ca_pem.empty()) {
      context.add_certificate_authority(asio::buffer(options_.extra_ca_pem), ec);
    }
    if (ec) return FetchError::kSystem;
    ssl::stream<tcp::socket> stream(io_, context);
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback(ssl::host_name_verification(target_.host));
    // SNI carries host names only (RFC 6066 section 3), never addresses.
    error_code not_address;
    asio::ip::make_address(target_.host, not_address);
    // (SSL_set_tlsext_host_name spelled out: the macro has a C cast.)
    if (not_address && SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                                const_cast<char*>(target_.host.c_str())) != 1) {
      return FetchError::kSystem;
    }
    if (auto e = Connect(stream.next_layer(), endpoints)) return *e;
    error_code ignored;
    ec = RunStep(
        io_, deadline_, [&](auto done) { stream.async_handshake(ssl::stream_base::client, done); },
        [&] { stream.next_layer().close(ignored); });
    if (ec) return ec == asio::error::timed_out ? FetchError::kTimeout : FetchError::kTls;
    return Transfer(stream, stream.next_layer());
  }

 private:
  std::optional<FetchError> Connect(tcp::socket& socket, const tcp::resolver::results_type& endpoints) {
    error_code ignored;
    const error_code ec = RunStep(
        io_, deadline_,
        [&](auto done) { asio::async_connect(socket, endpoints, [done](error_code e, const tcp::endpoint&) { done(e); }); },
        [&] { socket.close(ignored); });
    if (!ec) return std::nullopt;
    return ec == asio::error::timed_out ? FetchError::kTimeout : FetchError::kConnect;
  }

  // Writes the request and reads the response within the limits.
  template <class Stream>
  Result<HttpReply, FetchError> Transfer(Stream& stream, tcp::socket& socket) {
    error_code ignored;
    auto cancel = [&] { socket.close(ignored); };
    error_code ec = RunStep(
        io_, deadline_,
        [&](auto done) { http::async_write(stream, request_, [done](error_code e, std::size_t) { done(e); }); },
        cancel);
    if (ec) return ec == asio::error::timed_out ? FetchError::kTimeout : FetchError::kProtocol;

    http::response_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(options_.max_body_bytes);
    boost::beast::flat_buffer buffer(options_.max_body_bytes + 16 * 1024);
    ec = RunStep(
        io_, deadline_,
        [&](auto done) { http::async_read(stream, buffer, parser, [done](error_code e, std::size_t) { done(e); }); },
        cancel);
    if (ec == asio::error::timed_out) return FetchError::kTimeout;
    if (ec == http::error::body_limit || ec == http::error::header_limit ||
        ec == http::error::buffer_overflow) {
      return FetchError::kTooLarge;
    }
    if (ec) return FetchError::kProtocol;
    http::response<http::string_body> response = parser.release();
    HttpReply reply;
    reply.status = response.result_int();
    reply.content_type = response[http::field::content_type];
    reply.body = std::move(response.body());
    return reply;
  }

  asio::io_context io_{1};
  const Target& target_;
  http::request<http::string_body> request_;
  const FetchOptions& options_;
  const Clock::time_point deadline_;
};

Result<HttpReply, FetchError> Fetch(std::string_view url, http::verb verb, std::string_view body,
                                    std::string_view content_type, std::string_view authorization,
                                    const FetchOptions& options) {
  const std::optional<Target> target = ParseUrl(url);
  if (!target) return FetchError::kBadUrl;
  if (!target->tls && !options.allow_remote_http && !IsLoopbackLiteral(target->host)) return FetchError::kInsecureUrl;
  http::request<http::string_body> request(verb, target->path, 11);
  request.set(http::field::host, target->host_header);
  request.set(http::field::user_agent, "mcpx");
  request.set(http::field::accept, "application/json");
  request.set(http::field::connection, "close");
  if (!authorization.empty()) request.set(http::field::authorization, authorization);
  if (verb == http::verb::post) {
    request.set(http::field::content_type, content_type);
    request.body() = body;
    request.prepare_payload();
  }
  // Asio reports failures to make a socket or a TLS context by throwing
  // system_error (io_context, ssl::context, ssl::stream constructors); that
  // one type is turned into an error here, nothing else is caught.
  try {
    return Exchange(*target, std::move(request), options).Run();
  } catch (const boost::system::system_error&) {
    return FetchError::kSystem;
  }
}

}  // namespace

std::string_view Describe(FetchError error) {
  switch (error) {
    case FetchError::kBadUrl: return "bad URL";
    case FetchError::kInsecureUrl: return "plain http to a non-loopback host";
    case FetchError::kResolve: return "host name not resolved";
    case FetchError::kConnect: return "connection failed";
    case FetchError::kTls: return "TLS handshake or certificate verification failed";
    case FetchError::kTimeout: return "timed out";
    case FetchError::kTooLarge: return "response too large";
    case FetchError::kProtocol: return "malformed or truncated HTTP response";
    case FetchError::kSystem: return "no socket or TLS context";
  }
  return "fetch failed";
}

Result<HttpReply, FetchError> HttpGet(std::string_view url, const FetchOptions& options) {
  return Fetch(url, http::verb::get, {}, {}, {}, options);
}

Result<HttpReply, FetchError> HttpPost(std::string_view url, std::string_view body, std::string_view content_type,
                                       std::string_view authorization, const FetchOptions& options) {
  return Fetch(url, http::verb::post, body, content_type, authorization, options);
}

}  // namespace mcpx::auth
