// A tool's circuit breaker seen by a client (issue 10): failures open it,
// calls are then answered at once with a tool error naming it, and after
// open_for trial calls close it again. Time is the engine's injected clock.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>

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

class BreakerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>(ServerOptions{.worker_threads = 2});
    engine::ServerAccess::EngineOf(*server_).SetClockForTesting([this] { return now_ms_.load(); });
    server_->AddTool({.name = "flaky",
                      .execution = Execution::kInline,
                      .handler = [this](Context&, const json::object&) {
                        ++ran_;
                        if (failing_) throw std::runtime_error("backend down");
                        return ToolResult::Text("ok");
                      },
                      .breaker = BreakerPolicy{.failure_rate = 0.5,
                                               .min_calls = 4,
                                               .window = std::chrono::seconds(10),
                                               .open_for = std::chrono::seconds(5),
                                               .half_open_calls = 2}});
    server_->Start();
    http_ = std::make_unique<HttpTransport>(*server_, HttpOptions{.port = 0});
    port_ = http_->Listen();
    client_ = std::make_unique<HttpClient>(port_);
    session_ = testing::InitializeSession(*client_);
  }
  void TearDown() override {
    client_.reset();
    http_.reset();
    server_->Stop();
  }
  // The call's result, or its JSON-RPC error.
  json::value Call() {
    const std::string body = R"({"jsonrpc":"2.0","id":)" + std::to_string(++id_) +
                             R"(,"method":"tools/call","params":{"name":"flaky"}})";
    return client_->Request("POST", "/mcp", body, McpHeaders(session_)).json();
  }
  bool RefusedByBreaker(const json::value& answer) {
    const json::value* result = answer.as_object().if_contains("result");
    return result != nullptr && result->at("isError").as_bool() &&
           std::string(result->at("content").at(0).at("text").as_string()).find("circuit breaker is open") !=
               std::string::npos;
  }

  std::atomic<std::int64_t> now_ms_{1'000'000};
  std::atomic<int> ran_{0};
  std::atomic<bool> failing_{true};
  int id_ = 1;
  std::unique_ptr<Server> server_;
  std::unique_ptr<HttpTransport> http_;
  std::unique_ptr<HttpClient> client_;
  unsigned short port_ = 0;
  std::string session_;
};

TEST_F(BreakerTest, FailuresOpenItThenTrialsCloseIt) {
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(Call().as_object().contains("error")) << i;  // -32603 from the throw
  EXPECT_EQ(ran_.load(), 4);
  // Open: answered at once, the handler not run.
  const json::value refused = Call();
  EXPECT_TRUE(RefusedByBreaker(refused)) << refused;
  EXPECT_EQ(ran_.load(), 4);
  EXPECT_EQ(engine::ServerAccess::EngineOf(*server_).metrics().breaker_rejections.value(), 1u);
  const std::string metrics = client_->Request("GET", "/metrics", "", {}).body;
  EXPECT_NE(metrics.find("mcpx_tool_breaker_state{tool=\"flaky\"} 1"), std::string::npos);

  // Half-open after open_for: a failed trial opens it again.
  now_ms_ += 5000;
  EXPECT_TRUE(Call().as_object().contains("error"));
  EXPECT_EQ(ran_.load(), 5);
  EXPECT_TRUE(RefusedByBreaker(Call()));

  // The backend recovers: two good trials close it.
  failing_ = false;
  now_ms_ += 5000;
  EXPECT_EQ(Call().at("result").at("content").at(0).at("text"), "ok");
  EXPECT_EQ(Call().at("result").at("content").at(0).at("text"), "ok");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Call().at("result").at("content").at(0).at("text"), "ok") << i;
  EXPECT_EQ(ran_.load(), 12);
}

}  // namespace
}  // namespace mcpx
