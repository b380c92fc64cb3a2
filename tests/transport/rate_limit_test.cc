// Guards per client address over HTTP (issue 10). The rate limit: a flood
// from one address gets 429 with Retry-After and a JSON-RPC error, decided on
// the request's head, while another address is served; the flooder is
// admitted again once its bucket refills (the engine's injected clock, no
// sleeping). The connection limit: past it an address's connections close
// at accept, others connect. 127.0.0.2 is a second client address.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "engine/engine.h"
#include "engine/server_access.h"
#include "mcpx/http_transport.h"
#include "mcpx/server.h"
#include "support/http_client.h"
#include "support/mcp_http.h"

namespace mcpx {
namespace {

using testing::HttpClient;
using testing::InitializeSession;
using testing::McpHeaders;

std::string Ping(int id) { return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":"ping"})"; }

std::string CallBulk(int id, std::size_t size) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
         R"(,"method":"tools/call","params":{"name":"bulk","arguments":{"size":)" + std::to_string(size) + "}}}";
}

class RateLimitTest : public ::testing::Test {
 protected:
  void Start(HttpOptions hopts, ServerOptions options = {}) {
    options.worker_threads = 2;
    options.on_security_event = [this](const SecurityEventInfo& e) {
      MutexLock lock(&events_mu_);
      events_.push_back(std::string(e.kind) + "@" + std::string(e.address));
    };
    server_ = std::make_unique<Server>(std::move(options));
    // A tool whose answer is `size` bytes of text.
    server_->AddTool({.name = "bulk",
                      .execution = Execution::kInline,
                      .handler = [](Context&, const json::object& args) {
                        const auto size = args.contains("size") ? args.at("size").to_number<std::size_t>() : 1;
                        return ToolResult::Text(std::string(size, 'x'));
                      }});
    engine::ServerAccess::EngineOf(*server_).SetClockForTesting([this] { return now_ms_.load(); });
    server_->Start();
    hopts.port = 0;
    http_ = std::make_unique<HttpTransport>(*server_, hopts);
    port_ = http_->Listen();
  }
  void TearDown() override {
    http_.reset();
    if (server_) server_->Stop();
  }
  std::uint64_t Refused(observe::LimitKind kind) {
    return engine::ServerAccess::EngineOf(*server_).metrics().rate_limited[kind].value();
  }
  std::uint64_t Refused() { return engine::ServerAccess::EngineOf(*server_).metrics().rate_limited[observe::kLimitAddress].value(); }

  std::vector<std::string> Events() {
    MutexLock lock(&events_mu_);
    return events_;
  }

  Mutex events_mu_;
  std::vector<std::string> events_ ABSL_GUARDED_BY(events_mu_);  // ServerOptions::on_security_event's calls
  std::atomic<std::int64_t> now_ms_{1'000'000};
  std::unique_ptr<Server> server_;
  std::unique_ptr<HttpTransport> http_;
  unsigned short port_ = 0;
};

TEST_F(RateLimitTest, AFloodFromOneAddressGets429WhileAnotherIsServedAndItRecovers) {
  Start({.ip_rate = 5, .ip_burst = 5});
  HttpClient flooder(port_);  // 127.0.0.1
  for (int i = 0; i < 5; ++i) ASSERT_EQ(flooder.Request("GET", "/healthz", "", {}).status, 200) << i;

  // A POST whose body is never read: the head alone decides.
  const std::string body = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  flooder.SendRaw(HttpClient::Build("POST", "/mcp", body, {{"Content-Type", "application/json"}}));
  const auto refused = flooder.Read();
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.header("retry-after"), "1");
  const json::value error = refused.json();
  EXPECT_EQ(error.at("error").at("code"), -32000);
  EXPECT_EQ(error.at("id"), nullptr);
  EXPECT_EQ(refused.header("connection"), "close");
  EXPECT_EQ(Refused(), 1u);

  HttpClient other(port_, "127.0.0.2");  // another address: its own bucket
  for (int i = 0; i < 5; ++i) EXPECT_EQ(other.Request("GET", "/healthz", "", {}).status, 200) << i;

  flooder.Connect();
  EXPECT_EQ(flooder.Request("GET", "/healthz", "", {}).status, 429);
  flooder.Connect();
  now_ms_ += 200;  // one token back at 5/s
  EXPECT_EQ(flooder.Request("GET", "/healthz", "", {}).status, 200);
  EXPECT_EQ(flooder.Request("GET", "/healthz", "", {}).status, 429);
  flooder.Connect();
  now_ms_ += 1000;  // a polite client, one request per 200 ms, is always served
  for (int i = 0; i < 10; ++i) {
    now_ms_ += 200;
    EXPECT_EQ(flooder.Request("GET", "/healthz", "", {}).status, 200) << i;
  }
  EXPECT_EQ(Refused(), 3u);
}

TEST_F(RateLimitTest, ConnectionsPastTheLimitForOneAddressAreClosedAtAccept) {
  Start({.max_connections_per_ip = 2});
  auto a = std::make_unique<HttpClient>(port_);
  HttpClient b(port_);
  ASSERT_EQ(a->Request("GET", "/healthz", "", {}).status, 200);
  ASSERT_EQ(b.Request("GET", "/healthz", "", {}).status, 200);
  {
    HttpClient third(port_);  // closed as it is accepted: no answer
    third.SendRaw(HttpClient::Build("GET", "/healthz", "", {}));
    EXPECT_ANY_THROW(third.Read());
  }
  EXPECT_EQ(engine::ServerAccess::EngineOf(*server_).metrics().connections_refused_per_ip.value(), 1u);
  HttpClient other(port_, "127.0.0.2");  // another address has its own count
  EXPECT_EQ(other.Request("GET", "/healthz", "", {}).status, 200);

  // One of the two closes: the address may connect again once the server
  // has let the connection go (a bounded wait for the I/O thread).
  a.reset();
  bool served = false;
  for (int i = 0; i < 200 && !served; ++i) {
    HttpClient again(port_);
    again.SendRaw(HttpClient::Build("GET", "/healthz", "", {}));
    try {
      served = again.Read().status == 200;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  EXPECT_TRUE(served);
}

TEST_F(RateLimitTest, ASessionOverItsRateGets429WhileOtherSessionsAreServed) {
  Start({}, {.session_rate = 2, .session_burst = 2});
  HttpClient a(port_);
  HttpClient b(port_);  // the same address: the limit is the session's
  const std::string sa = InitializeSession(a);
  const std::string sb = InitializeSession(b);
  EXPECT_EQ(a.Request("POST", "/mcp", Ping(2), McpHeaders(sa)).status, 200);
  EXPECT_EQ(a.Request("POST", "/mcp", Ping(3), McpHeaders(sa)).status, 200);
  const auto refused = a.Request("POST", "/mcp", Ping(4), McpHeaders(sa));
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.header("retry-after"), "1");
  const json::value error = refused.json();
  EXPECT_EQ(error.at("id"), 4);
  EXPECT_EQ(error.at("error").at("code"), -32000);
  EXPECT_EQ(error.at("error").at("data").at("retryAfterMs"), 500);
  EXPECT_NE(refused.header("connection"), "close");  // the session, not the address, is limited
  EXPECT_EQ(b.Request("POST", "/mcp", Ping(2), McpHeaders(sb)).status, 200);

  now_ms_ += 500;  // one request back at 2/s
  EXPECT_EQ(a.Request("POST", "/mcp", Ping(5), McpHeaders(sa)).status, 200);
  EXPECT_EQ(a.Request("POST", "/mcp", Ping(6), McpHeaders(sa)).status, 429);
  EXPECT_EQ(Refused(observe::kLimitSession), 2u);
  EXPECT_EQ(Refused(observe::kLimitAddress), 0u);
}

TEST_F(RateLimitTest, ASessionOverItsByteRateWaitsForWhatItWasSent) {
  Start({}, {.session_bytes_rate = 10'000, .session_bytes_burst = 10'000});
  HttpClient a(port_);
  const std::string sa = InitializeSession(a);
  // One answer larger than the whole burst passes when nothing is owed...
  EXPECT_EQ(a.Request("POST", "/mcp", CallBulk(2, 30'000), McpHeaders(sa)).status, 200);
  // ...and the session then owes about two seconds.
  const auto refused = a.Request("POST", "/mcp", Ping(3), McpHeaders(sa));
  ASSERT_EQ(refused.status, 429);
  const std::int64_t wait_ms = refused.json().at("error").at("data").at("retryAfterMs").as_int64();
  EXPECT_GT(wait_ms, 1900);
  EXPECT_LT(wait_ms, 2200);
  EXPECT_EQ(refused.header("retry-after"), std::to_string((wait_ms + 999) / 1000));
  now_ms_ += wait_ms;
  EXPECT_EQ(a.Request("POST", "/mcp", Ping(4), McpHeaders(sa)).status, 200);
  EXPECT_EQ(Refused(observe::kLimitSessionBytes), 1u);
}

TEST_F(RateLimitTest, AToolOverItsCallRateIsRefusedForEveryClientAndOthersAreServed) {
  Start({});
  server_->AddTool({.name = "scarce",
                    .execution = Execution::kInline,
                    .handler = [](Context&, const json::object&) { return ToolResult::Text("ok"); },
                    .rate = 1,
                    .rate_burst = 1});
  HttpClient a(port_);
  HttpClient b(port_, "127.0.0.2");
  const std::string sa = InitializeSession(a);
  const std::string sb = InitializeSession(b);
  const std::string call = R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"scarce"}})";
  EXPECT_EQ(a.Request("POST", "/mcp", call, McpHeaders(sa)).status, 200);
  const auto refused = b.Request("POST", "/mcp", call, McpHeaders(sb));
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.json().at("error").at("data").at("retryAfterMs"), 1000);
  EXPECT_EQ(b.Request("POST", "/mcp", CallBulk(8, 1), McpHeaders(sb)).status, 200);  // another tool
  now_ms_ += 1000;
  EXPECT_EQ(b.Request("POST", "/mcp", call, McpHeaders(sb)).status, 200);
  EXPECT_EQ(Refused(observe::kLimitTool), 1u);
}

TEST_F(RateLimitTest, RepeatedOffensesBlockAnAddressForTheCooldownAndTheAdminEndpointListsThem) {
  Start({.reputation_threshold = 30, .reputation_cooldown = std::chrono::seconds(10), .admin_token = "s3cret"});
  for (int i = 0; i < 3; ++i) {  // 10 points each
    HttpClient bad(port_);
    bad.SendRaw("GET /healthz HTTP/1.1\r\nthis line has no colon\r\n\r\n");
    EXPECT_EQ(bad.Read().status, 400) << i;
  }
  auto& metrics = engine::ServerAccess::EngineOf(*server_).metrics();
  EXPECT_EQ(metrics.reputation_blocks.value(), 1u);
  EXPECT_EQ(Events(), (std::vector<std::string>{"malformed_request@127.0.0.1", "malformed_request@127.0.0.1",
                                                "malformed_request@127.0.0.1", "reputation_blocked@127.0.0.1"}));
  {
    HttpClient blocked(port_);  // closed as it is accepted
    blocked.SendRaw(HttpClient::Build("GET", "/healthz", "", {}));
    EXPECT_ANY_THROW(blocked.Read());
  }
  HttpClient other(port_, "127.0.0.2");
  EXPECT_EQ(other.Request("GET", "/healthz", "", {}).status, 200);

  // The admin endpoint: the token, then the events.
  EXPECT_EQ(other.Request("GET", "/admin/security-events", "", {}).status, 401);
  const auto listed = other.Request("GET", "/admin/security-events", "", {{"Authorization", "Bearer s3cret"}});
  ASSERT_EQ(listed.status, 200);
  const json::value doc = listed.json();
  std::string kinds;
  for (const auto& e : doc.at("events").as_array()) kinds += std::string(e.at("kind").as_string()) + " ";
  EXPECT_NE(kinds.find("reputation_refused reputation_blocked malformed_request"), std::string::npos) << kinds;
  EXPECT_EQ(doc.at("addresses").at(0).at("address"), "127.0.0.1");
  const std::string text = other.Request("GET", "/metrics", "", {}).body;
  EXPECT_NE(text.find("mcpx_security_events_total{kind=\"malformed_request\"} 3"), std::string::npos);
  EXPECT_NE(text.find("mcpx_reputation_blocks_total 1"), std::string::npos);

  now_ms_ += 10'000;  // the cooldown is over, and the score has decayed below the threshold
  HttpClient again(port_);
  EXPECT_EQ(again.Request("GET", "/healthz", "", {}).status, 200);
  EXPECT_GE(metrics.reputation_refusals.value(), 1u);
}

TEST_F(RateLimitTest, AMetricsTokenGuardsMetricsButNotHealthz) {
  Start({.metrics_token = "m3trics"});
  HttpClient c(port_);
  const auto refused = c.Request("GET", "/metrics", "", {});
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.header("www-authenticate"), "Bearer realm=\"mcpx-metrics\"");
  EXPECT_EQ(c.Request("GET", "/metrics", "", {{"Authorization", "Bearer wrong"}}).status, 401);
  const auto served = c.Request("GET", "/metrics", "", {{"Authorization", "Bearer m3trics"}});
  EXPECT_EQ(served.status, 200);
  EXPECT_NE(served.body.find("mcpx_sessions_active"), std::string::npos);
  EXPECT_EQ(c.Request("GET", "/healthz", "", {}).status, 200);
  EXPECT_EQ(c.Request("GET", "/admin/security-events", "", {}).status, 404);  // no admin token: no endpoint
}

TEST_F(RateLimitTest, WithoutALimitNothingIsRefused) {
  Start({});
  HttpClient client(port_);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(client.Request("GET", "/healthz", "", {}).status, 200) << i;
  EXPECT_EQ(Refused(), 0u);
}

}  // namespace
}  // namespace mcpx
