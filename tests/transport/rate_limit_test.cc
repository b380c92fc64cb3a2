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

#include "engine/engine.h"
#include "engine/server_access.h"
#include "mcpx/http_transport.h"
#include "mcpx/server.h"
#include "support/http_client.h"

namespace mcpx {
namespace {

using testing::HttpClient;

class RateLimitTest : public ::testing::Test {
 protected:
  void Start(HttpOptions hopts) {
    server_ = std::make_unique<Server>(ServerOptions{.worker_threads = 2});
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
  std::uint64_t Refused() { return engine::ServerAccess::EngineOf(*server_).metrics().rate_limited.value(); }

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

TEST_F(RateLimitTest, WithoutALimitNothingIsRefused) {
  Start({});
  HttpClient client(port_);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(client.Request("GET", "/healthz", "", {}).status, 200) << i;
  EXPECT_EQ(Refused(), 0u);
}

}  // namespace
}  // namespace mcpx
