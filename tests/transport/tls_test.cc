// TLS on the HTTP listener (HttpOptions::tls): a verified client completes
// the handshake and speaks MCP; a plaintext client is cut off and counted; a
// reload gives new connections the new certificate while open ones keep the
// old; a failed reload changes nothing; a listener whose files cannot be used
// does not bind.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "mcpx/http_transport.h"
#include "mcpx/server.h"
#include "support/http_client.h"
#include "support/tls.h"

namespace mcpx {
namespace {

using testing::HttpClient;
using testing::HttpsClient;
using testing::WriteSelfSignedCertificate;
namespace fs = std::filesystem;

const std::map<std::string, std::string> kPost{{"Content-Type", "application/json"},
                                               {"Accept", "application/json, text/event-stream"}};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "mcpx-tls-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    cert_ = (dir_ / "server.pem").string();
    key_ = (dir_ / "server.key").string();
    trust_a_ = (dir_ / "a.pem").string();
    trust_b_ = (dir_ / "b.pem").string();
    WriteSelfSignedCertificate("mcpx-test-a", cert_, key_);
    fs::copy_file(cert_, trust_a_);

    server_ = std::make_unique<Server>(ServerOptions{.worker_threads = 1});
    server_->AddTool({.name = "echo", .handler = [](Context&, const json::object& args) {
                        return ToolResult::Text(json::value_to<std::string>(args.at("text")));
                      }});
    server_->Start();
  }
  void TearDown() override {
    http_.reset();
    server_->Stop();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  unsigned short Listen(HttpOptions options = {}) {
    options.port = 0;
    options.tls = TlsOptions{.certificate_chain_file = cert_, .private_key_file = key_};
    http_ = std::make_unique<HttpTransport>(*server_, options);
    return port_ = http_->Listen();
  }
  // The certificate and key the listener reads on reload become a new pair
  // named `cn`, trusted through `trust`.
  void Rotate(const std::string& cn, const std::string& trust) {
    WriteSelfSignedCertificate(cn, cert_, key_);
    fs::copy_file(cert_, trust, fs::copy_options::overwrite_existing);
  }
  double HandshakeFailures() { return Metric("mcpx_tls_handshake_failures_total"); }
  // One unlabelled or labelled sample of /metrics, read over TLS.
  double Metric(const std::string& sample) {
    HttpsClient c(port_, {trust_a_});
    auto r = c.Request("GET", "/metrics", "", {});
    EXPECT_EQ(r.status, 200);
    const std::string name = sample + " ";
    const auto at = r.body.find("\n" + name);
    if (at == std::string::npos) {
      ADD_FAILURE() << "no " << name << "in /metrics";
      return -1;
    }
    return std::stod(r.body.substr(at + 1 + name.size()));
  }

  fs::path dir_;
  std::string cert_, key_, trust_a_, trust_b_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<HttpTransport> http_;
  unsigned short port_ = 0;
};

TEST_F(TlsTest, VerifiedClientSpeaksMcpOverTls) {
  Listen();
  HttpsClient c(port_, {trust_a_});
  EXPECT_EQ(c.PeerCommonName(), "mcpx-test-a");
  EXPECT_EQ(c.Alpn(), "http/1.1");
  auto init = c.Request(
      "POST", "/mcp", R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}})",
      kPost);
  ASSERT_EQ(init.status, 200) << init.body;
  const std::string sid = init.header("mcp-session-id");
  ASSERT_FALSE(sid.empty());
  auto headers = kPost;
  headers["Mcp-Session-Id"] = sid;
  headers["MCP-Protocol-Version"] = "2025-11-25";
  EXPECT_EQ(c.Request("POST", "/mcp", R"({"jsonrpc":"2.0","method":"notifications/initialized"})", headers).status,
            202);
  // Several requests on the one connection: keep-alive under TLS.
  for (int id = 2; id < 5; ++id) {
    auto r = c.Request("POST", "/mcp",
                       R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
                           R"(,"method":"tools/call","params":{"name":"echo","arguments":{"text":"over tls"}}})",
                       headers);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("over tls"), std::string::npos) << r.body;
  }
}

TEST_F(TlsTest, PlaintextClientIsCutOffAndCounted) {
  Listen();
  const double before = HandshakeFailures();
  HttpClient plain(port_);
  plain.SendRaw(HttpClient::Build("GET", "/healthz", "", {}));
  // No HTTP answer: at most a TLS alert, then the connection closes.
  const std::string got = plain.ReadUntil("HTTP/1.1", std::chrono::seconds(5));
  EXPECT_EQ(got.find("HTTP/1.1"), std::string::npos) << got;
  EXPECT_EQ(HandshakeFailures(), before + 1);
  // The listener still serves TLS clients.
  HttpsClient c(port_, {trust_a_});
  EXPECT_EQ(c.Request("GET", "/healthz", "", {}).status, 200);
}

TEST_F(TlsTest, AClientClosingWithoutCloseNotifyIsNoOffense) {
  Listen();
  const std::string malformed = R"(mcpx_security_events_total{kind="malformed_request"})";
  const double errors = Metric("mcpx_http_errors_total");
  const double events = Metric(malformed);
  {
    HttpsClient c(port_, {trust_a_});
    EXPECT_EQ(c.Request("GET", "/healthz", "", {}).status, 200);
    c.CloseWithoutNotify();  // as most HTTP client pools do
  }
  // The server has seen the close by the time it answers another client.
  HttpsClient other(port_, {trust_a_});
  EXPECT_EQ(other.Request("GET", "/healthz", "", {}).status, 200);
  EXPECT_EQ(Metric("mcpx_http_errors_total"), errors);
  EXPECT_EQ(Metric(malformed), events);
}

TEST_F(TlsTest, ClientThatNeverHandshakesIsCutOffAtTheDeadline) {
  Listen(HttpOptions{.tls_handshake_timeout = std::chrono::milliseconds(200)});
  HttpClient silent(port_);
  // The server closes it: the read ends (EOF) well before the 5 s bound.
  const auto start = std::chrono::steady_clock::now();
  silent.ReadUntil("never", std::chrono::seconds(5));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_EQ(HandshakeFailures(), 1);
}

TEST_F(TlsTest, ReloadServesTheNewCertificateToNewConnectionsOnly) {
  Listen();
  HttpsClient old_connection(port_, {trust_a_});
  EXPECT_EQ(old_connection.PeerCommonName(), "mcpx-test-a");

  Rotate("mcpx-test-b", trust_b_);
  std::string error;
  ASSERT_TRUE(http_->ReloadCertificates(&error)) << error;

  HttpsClient fresh(port_, {trust_b_});
  EXPECT_EQ(fresh.PeerCommonName(), "mcpx-test-b");
  EXPECT_EQ(fresh.Request("GET", "/healthz", "", {}).status, 200);
  // The connection made before the reload goes on with its session keys.
  EXPECT_EQ(old_connection.Request("GET", "/healthz", "", {}).status, 200);
  // A client that trusts only the old certificate is refused from now on.
  EXPECT_THROW(HttpsClient(port_, {trust_a_}), boost::system::system_error);
}

TEST_F(TlsTest, FailedReloadKeepsTheOldCertificate) {
  Listen();
  // A key that does not match the certificate.
  WriteSelfSignedCertificate("mcpx-test-b", (dir_ / "other.pem").string(), key_);
  std::string error;
  EXPECT_FALSE(http_->ReloadCertificates(&error));
  EXPECT_NE(error.find(key_), std::string::npos) << error;
  // A file that is not PEM.
  std::ofstream(cert_, std::ios::trunc) << "not a certificate\n";
  EXPECT_FALSE(http_->ReloadCertificates(&error));
  EXPECT_NE(error.find(cert_), std::string::npos) << error;

  HttpsClient c(port_, {trust_a_});
  EXPECT_EQ(c.PeerCommonName(), "mcpx-test-a");
  EXPECT_EQ(c.Request("GET", "/healthz", "", {}).status, 200);
}

TEST_F(TlsTest, UnusableFilesDoNotBind) {
  HttpOptions options{.port = 0};
  options.tls = TlsOptions{.certificate_chain_file = (dir_ / "missing.pem").string(), .private_key_file = key_};
  HttpTransport http(*server_, options);
  try {
    http.Listen();
    ADD_FAILURE() << "Listen() bound without a usable certificate";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("missing.pem"), std::string::npos) << e.what();
  }
}

TEST_F(TlsTest, ReloadWithoutTlsSaysSo) {
  HttpTransport plain(*server_, HttpOptions{.port = 0});
  plain.Listen();
  std::string error;
  EXPECT_FALSE(plain.ReloadCertificates(&error));
  EXPECT_EQ(error, "this listener has no TLS");
}

}  // namespace
}  // namespace mcpx
