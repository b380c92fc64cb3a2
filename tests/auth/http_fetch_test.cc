// HttpGet/HttpPost against a one-connection Boost.Beast server on 127.0.0.1
// (port 0), plain and TLS with a certificate made here. Loopback only.
#include "auth/http_fetch.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <optional>
#include <thread>

#include "test_jose.h"

namespace mcpx::auth {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// A self-signed certificate for IP 127.0.0.1 (subjectAltName), PEM.
struct TestCert {
  std::string cert_pem;
  std::string key_pem;
};

TestCert MakeCert() {
  testing::Pkey key = testing::NewEcP256Key();
  X509* x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key.get());
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("mcpx test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"}, {NID_basic_constraints, "CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key.get(), EVP_sha256());
  auto pem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    return out;
  };
  TestCert cert{pem([&](BIO* b) { PEM_write_bio_X509(b, x); }),
                pem([&](BIO* b) { PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr); })};
  X509_free(x);
  return cert;
}

// Serves exactly one connection on its own thread, in one of these ways.
class OneShotServer {
 public:
  enum class Mode { kAnswer, kEcho, kStall };

  OneShotServer(Mode mode, std::string body, const TestCert* tls = nullptr)
      : mode_(mode), body_(std::move(body)), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}),
        tls_(ssl::context::tls_server) {
    if (tls != nullptr) {
      tls_.use_certificate_chain(asio::buffer(tls->cert_pem));
      tls_.use_private_key(asio::buffer(tls->key_pem), ssl::context::pem);
      use_tls_ = true;
    }
    thread_ = std::thread([this] { Serve(); });
  }
  ~OneShotServer() {
    release_.set_value();
    thread_.join();
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  std::string Url(std::string_view path) const {
    return (use_tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port()) + std::string(path);
  }

 private:
  void Serve() {
    boost::system::error_code ec;
    tcp::socket socket(io_);
    acceptor_.accept(socket, ec);
    if (ec) return;
    if (!use_tls_) return Exchange(socket);
    ssl::stream<tcp::socket&> stream(socket, tls_);
    stream.handshake(ssl::stream_base::server, ec);
    if (!ec) Exchange(stream);
  }

  template <class Stream>
  void Exchange(Stream& stream) {
    boost::system::error_code ec;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::read(stream, buffer, request, ec);
    if (ec) return;
    if (mode_ == Mode::kStall) {
      release_.get_future().wait();  // until the test is over
      return;
    }
    http::response<http::string_body> response(http::status::ok, 11);
    response.set(http::field::content_type, "application/json");
    if (mode_ == Mode::kEcho) {
      response.body() = std::string(request.method_string()) + " " + std::string(request.target()) + " " +
                        std::string(request[http::field::content_type]) + " " +
                        std::string(request[http::field::authorization]) + " " + request.body();
    } else {
      response.body() = body_;
    }
    response.prepare_payload();
    http::write(stream, response, ec);
  }

  const Mode mode_;
  const std::string body_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  ssl::context tls_;
  bool use_tls_ = false;
  std::promise<void> release_;
  std::thread thread_;
};

FetchError ErrorOf(const Result<HttpReply, FetchError>& r) {
  EXPECT_FALSE(r.ok());
  return r.ok() ? FetchError::kSystem : r.error();
}

TEST(HttpFetch, GetReturnsStatusAndBody) {
  OneShotServer server(OneShotServer::Mode::kAnswer, R"({"keys":[]})");
  auto reply = HttpGet(server.Url("/jwks"), {});
  ASSERT_TRUE(reply.ok()) << Describe(reply.error());
  EXPECT_EQ(reply->status, 200u);
  EXPECT_EQ(reply->content_type, "application/json");
  EXPECT_EQ(reply->body, R"({"keys":[]})");
}

TEST(HttpFetch, PostSendsBodyTypeAndAuthorization) {
  OneShotServer server(OneShotServer::Mode::kEcho, "");
  auto reply = HttpPost(server.Url("/introspect?x=1"), "token=abc", "application/x-www-form-urlencoded",
                        "Basic Y2xpZW50OnNlY3JldA==", {});
  ASSERT_TRUE(reply.ok()) << Describe(reply.error());
  EXPECT_EQ(reply->body, "POST /introspect?x=1 application/x-www-form-urlencoded Basic Y2xpZW50OnNlY3JldA== token=abc");
}

TEST(HttpFetch, ResponseOverTheBoundIsRefused) {
  OneShotServer server(OneShotServer::Mode::kAnswer, std::string(300 * 1024, 'x'));
  EXPECT_EQ(ErrorOf(HttpGet(server.Url("/big"), {.max_body_bytes = 256 * 1024})), FetchError::kTooLarge);
}

TEST(HttpFetch, SilentServerTimesOut) {
  OneShotServer server(OneShotServer::Mode::kStall, "");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ErrorOf(HttpGet(server.Url("/slow"), {.timeout = std::chrono::milliseconds(200)})), FetchError::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(HttpFetch, ClosedPortIsAConnectError) {
  unsigned short port = 0;
  {
    asio::io_context io;
    tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  EXPECT_EQ(ErrorOf(HttpGet("http://127.0.0.1:" + std::to_string(port) + "/", {})), FetchError::kConnect);
}

TEST(HttpFetch, UrlsThatAreRefusedUpFront) {
  for (const char* url : {"", "jwks.json", "ftp://127.0.0.1/jwks", "https://user:pw@as.example.com/jwks",
                          "http://[::1/jwks", "https://%00evil/jwks", "http://127.0.0.1:0/"}) {
    EXPECT_EQ(ErrorOf(HttpGet(url, {})), FetchError::kBadUrl) << url;
  }
  // Plain http leaves loopback only when allowed (a key set fetched in the
  // clear could be swapped by anyone on the path).
  EXPECT_EQ(ErrorOf(HttpGet("http://192.0.2.1/jwks", {})), FetchError::kInsecureUrl);
  EXPECT_EQ(ErrorOf(HttpGet("http://as.example.com/jwks", {})), FetchError::kInsecureUrl);
}

TEST(HttpFetch, TlsPeerIsVerified) {
  static const TestCert cert = MakeCert();
  {
    // Self-signed and not in the system store: the handshake must fail.
    OneShotServer server(OneShotServer::Mode::kAnswer, "{}", &cert);
    EXPECT_EQ(ErrorOf(HttpGet(server.Url("/jwks"), {})), FetchError::kTls);
  }
  {
    OneShotServer server(OneShotServer::Mode::kAnswer, R"({"keys":[]})", &cert);
    auto reply = HttpGet(server.Url("/jwks"), {.extra_ca_pem = cert.cert_pem});
    ASSERT_TRUE(reply.ok()) << Describe(reply.error());
    EXPECT_EQ(reply->body, R"({"keys":[]})");
  }
  {
    // Trusted, but issued for 127.0.0.1, not for "localhost".
    OneShotServer server(OneShotServer::Mode::kAnswer, "{}", &cert);
    const std::string url = "https://localhost:" + std::to_string(server.port()) + "/jwks";
    EXPECT_EQ(ErrorOf(HttpGet(url, {.extra_ca_pem = cert.cert_pem})), FetchError::kTls);
  }
}

}  // namespace
}  // namespace mcpx::auth
