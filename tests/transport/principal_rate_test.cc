// The session limits (ServerOptions::session_rate, session_bytes_rate) for
// stateless 2026-07-28 requests, which have no session: with bearer
// authentication they apply to each principal's stateless requests
// together, whatever the connection or address; without it only the
// per-address limit applies. Refusals read as a session's do (429,
// Retry-After, -32000 with data.retryAfterMs, the connection kept), counted
// as mcpx_rate_limited_total{limit="principal"|"principal_bytes"}. The
// engine's injected clock drives the cells: no sleeping.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>

#include "auth/test_jose.h"
#include "engine/engine.h"
#include "engine/server_access.h"
#include "mcpx/http_transport.h"
#include "mcpx/server.h"
#include "support/http_client.h"
#include "support/mcp_http.h"

namespace mcpx {
namespace {

using testing::HttpClient;
using testing::McpHeaders;
namespace jose = auth::testing;

constexpr char kIssuer[] = "https://as.example";
constexpr char kMeta[] =
    R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}})";

class PrincipalRateTest : public ::testing::Test {
 protected:
  void Start(ServerOptions options, bool authenticate = true) {
    options.worker_threads = 2;
    server_ = std::make_unique<Server>(std::move(options));
    // A tool whose answer is `size` bytes of text.
    server_->AddTool({.name = "bulk",
                      .execution = Execution::kInline,
                      .handler = [](Context&, const json::object& args) {
                        const auto size = args.contains("size") ? args.at("size").to_number<std::size_t>() : 1;
                        return ToolResult::Text(std::string(size, 'x'));
                      }});
    engine().SetClockForTesting([this] { return now_ms_.load(); });
    engine().SetWallClockForTesting([] { return kNowS * 1000; });
    server_->Start();
    HttpOptions hopts{.port = 0};
    if (authenticate) {
      key_ = jose::NewEcP256Key();
      // ctest runs each test as its own process, in parallel: one file each.
      jwks_path_ = ::testing::TempDir() + "principal_rate_test_jwks_" + std::to_string(::getpid()) + ".json";
      std::ofstream(jwks_path_) << jose::Jwks({jose::PublicJwk(key_.get(), "k1")});
      hopts.auth = AuthOptions{.issuer = kIssuer, .jwks_file = jwks_path_};
    }
    http_ = std::make_unique<HttpTransport>(*server_, hopts);
    port_ = http_->Listen();
    resource_ = "http://127.0.0.1:" + std::to_string(port_) + "/mcp";
  }
  void TearDown() override {
    http_.reset();
    if (server_) server_->Stop();
    if (!jwks_path_.empty()) std::remove(jwks_path_.c_str());
  }

  engine::Engine& engine() { return engine::ServerAccess::EngineOf(*server_); }
  std::uint64_t Refused(observe::LimitKind kind) { return engine().metrics().rate_limited[kind].value(); }

  std::string Token(std::string_view sub) {
    return jose::Sign(key_.get(), "ES256", "k1",
                      {{"iss", kIssuer}, {"sub", sub}, {"aud", resource_}, {"exp", kNowS + 300}, {"iat", kNowS}});
  }
  // A stateless POST of `method` (naming `name`), as `token`'s principal
  // (none: unauthenticated).
  testing::HttpResponse Post(HttpClient& c, std::string_view method, std::string_view params_members,
                             const std::string& token, std::string_view name = "") {
    auto h = McpHeaders();
    h["MCP-Protocol-Version"] = "2026-07-28";
    h["Mcp-Method"] = std::string(method);
    if (!name.empty()) h["Mcp-Name"] = std::string(name);
    if (!token.empty()) h["Authorization"] = "Bearer " + token;
    const std::string body = R"({"jsonrpc":"2.0","id":)" + std::to_string(++id_) + R"(,"method":")" +
                             std::string(method) + R"(","params":{)" + std::string(params_members) +
                             (params_members.empty() ? "" : ",") + kMeta + "}}";
    return c.Request("POST", "/mcp", body, h);
  }
  testing::HttpResponse List(HttpClient& c, const std::string& token) { return Post(c, "tools/list", "", token); }
  testing::HttpResponse Bulk(HttpClient& c, const std::string& token, std::size_t size) {
    return Post(c, "tools/call", R"("name":"bulk","arguments":{"size":)" + std::to_string(size) + "}", token,
                "bulk");
  }

  static constexpr std::int64_t kNowS = 1'900'000'000;
  std::atomic<std::int64_t> now_ms_{1'000'000};
  jose::Pkey key_;
  std::string jwks_path_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<HttpTransport> http_;
  unsigned short port_ = 0;
  std::string resource_;
  int id_ = 0;
};

TEST_F(PrincipalRateTest, APrincipalOverTheRateGets429OnEveryConnectionWhileOthersAreServed) {
  Start({.session_rate = 2, .session_burst = 2});
  HttpClient a(port_);
  HttpClient a2(port_, "127.0.0.2");  // the same principal from another address
  HttpClient b(port_);                // another principal from the same address
  const std::string alice = Token("alice");
  const std::string bob = Token("bob");
  EXPECT_EQ(List(a, alice).status, 200);
  EXPECT_EQ(List(a2, alice).status, 200);
  const auto refused = List(a, alice);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.header("retry-after"), "1");
  const json::value error = refused.json();
  EXPECT_EQ(error.at("id"), id_);
  EXPECT_EQ(error.at("error").at("code"), -32000);
  EXPECT_EQ(error.at("error").at("message"), "Too Many Requests: over this principal's request rate; retry later");
  EXPECT_EQ(error.at("error").at("data").at("retryAfterMs"), 500);
  EXPECT_NE(refused.header("connection"), "close");  // the principal, not the address, is limited
  EXPECT_EQ(List(a2, alice).status, 429);
  EXPECT_EQ(List(b, bob).status, 200);

  now_ms_ += 500;  // one request back at 2/s
  EXPECT_EQ(List(a2, alice).status, 200);
  EXPECT_EQ(List(a, alice).status, 429);
  EXPECT_EQ(Refused(observe::kLimitPrincipal), 3u);
  EXPECT_EQ(Refused(observe::kLimitSession), 0u);
  EXPECT_EQ(Refused(observe::kLimitAddress), 0u);
  HttpClient m(port_);
  EXPECT_NE(m.Request("GET", "/metrics", "", {}).body.find("mcpx_rate_limited_total{limit=\"principal\"} 3\n"),
            std::string::npos);
}

TEST_F(PrincipalRateTest, APrincipalOverItsByteRateWaitsForTheResponsesItWasSent) {
  Start({.session_bytes_rate = 10'000, .session_bytes_burst = 10'000});
  HttpClient a(port_);
  HttpClient b(port_);
  const std::string alice = Token("alice");
  // One answer larger than the whole burst passes when nothing is owed...
  EXPECT_EQ(Bulk(a, alice, 30'000).status, 200);
  // ...and its bytes, charged when sent, leave the principal owing about
  // two seconds.
  const auto refused = List(a, alice);
  ASSERT_EQ(refused.status, 429);
  const std::int64_t wait_ms = refused.json().at("error").at("data").at("retryAfterMs").as_int64();
  EXPECT_GT(wait_ms, 1900);
  EXPECT_LT(wait_ms, 2200);
  EXPECT_EQ(refused.header("retry-after"), std::to_string((wait_ms + 999) / 1000));
  EXPECT_EQ(List(b, Token("bob")).status, 200);
  now_ms_ += wait_ms;
  EXPECT_EQ(List(a, alice).status, 200);
  EXPECT_EQ(Refused(observe::kLimitPrincipalBytes), 1u);
  EXPECT_EQ(Refused(observe::kLimitSessionBytes), 0u);
}

TEST_F(PrincipalRateTest, WithoutAuthenticationStatelessRequestsHaveNoPrincipalLimit) {
  Start({.session_rate = 1, .session_burst = 1}, /*authenticate=*/false);
  HttpClient c(port_);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(List(c, "").status, 200) << i;
  EXPECT_EQ(Refused(observe::kLimitPrincipal), 0u);
  EXPECT_EQ(engine().principal_rate_keys(), 0u);
}

// The table is bounded: past max_rate_principals further principals share
// the overflow cells; principals that have refilled are swept away.
TEST_F(PrincipalRateTest, TheTableIsBoundedAndSweptOfRefilledPrincipals) {
  Start({.session_rate = 1, .session_burst = 1, .max_rate_principals = 16});  // one per shard
  HttpClient c(port_);
  int refused = 0;
  for (int i = 0; i < 40; ++i) {
    refused += List(c, Token("user" + std::to_string(i))).status == 429;
    ASSERT_LE(engine().principal_rate_keys(), 16u);
  }
  EXPECT_GT(refused, 0);  // those that did not fit shared one cell
  EXPECT_EQ(Refused(observe::kLimitPrincipal), static_cast<std::uint64_t>(refused));
  EXPECT_EQ(engine().SweepPrincipalRates(now_ms_), 0u);  // all still owe
  now_ms_ += 1000;
  EXPECT_GT(engine().SweepPrincipalRates(now_ms_), 0u);
  EXPECT_EQ(engine().principal_rate_keys(), 0u);
  EXPECT_EQ(List(c, Token("fresh")).status, 200);
}

// Session requests keep their session's limit: a principal's stateless
// requests do not spend it, nor its session requests the principal's.
TEST_F(PrincipalRateTest, SessionAndStatelessRequestsOfOnePrincipalAreLimitedApart) {
  Start({.session_rate = 1, .session_burst = 1});
  HttpClient c(port_);
  const std::string alice = Token("alice");
  auto h = McpHeaders();
  h["Authorization"] = "Bearer " + alice;
  auto init = c.Request("POST", "/mcp", testing::kInitializeBody, h);
  ASSERT_EQ(init.status, 200) << init.body;
  h["Mcp-Session-Id"] = init.header("mcp-session-id");
  EXPECT_EQ(c.Request("POST", "/mcp", R"({"jsonrpc":"2.0","id":2,"method":"ping"})", h).status, 200);
  EXPECT_EQ(List(c, alice).status, 200);
  EXPECT_EQ(c.Request("POST", "/mcp", R"({"jsonrpc":"2.0","id":3,"method":"ping"})", h).status, 429);
  EXPECT_EQ(List(c, alice).status, 429);
  EXPECT_EQ(Refused(observe::kLimitSession), 1u);
  EXPECT_EQ(Refused(observe::kLimitPrincipal), 1u);
}

}  // namespace
}  // namespace mcpx
