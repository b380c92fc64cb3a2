// Scrapes GET /metrics, parses the Prometheus text, and checks that every
// metric the design asks for is present and moves with the traffic.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <sstream>
#include <thread>

#include "mcpx/http_transport.h"
#include "mcpx/server.h"
#include "support/http_client.h"

namespace mcpx {
namespace {

using testing::HttpClient;
using namespace std::chrono_literals;

// name{labels} -> value, for every sample line.
std::map<std::string, double> Parse(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>(ServerOptions{.worker_threads = 1,
                                                     .session_idle_timeout = 300ms,
                                                     .init_timeout = 300ms,
                                                     .max_sessions = 3});
    server_->AddTool({.name = "slow", .handler = [this](Context&, const json::object&) {
                        while (!release_) std::this_thread::sleep_for(1ms);
                        return ToolResult::Text("done");
                      }});
    server_->AddTool({.name = "chatty", .handler = [](Context& ctx, const json::object&) {
                        ctx.Log(LogLevel::kInfo, "a log line makes this an SSE response");
                        return ToolResult::Text("done");
                      }});
    server_->Start();
    http_ = std::make_unique<HttpTransport>(*server_, HttpOptions{.port = 0});
    port_ = http_->Listen();
  }
  void TearDown() override {
    release_ = true;
    http_.reset();
    server_->Stop();
  }
  std::map<std::string, double> Scrape() {
    HttpClient c(port_);
    auto r = c.Request("GET", "/metrics", "", {});
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4");
    return Parse(r.body);
  }
  std::map<std::string, std::string> H(const std::string& sid = "") {
    std::map<std::string, std::string> h{{"Content-Type", "application/json"},
                                         {"Accept", "application/json, text/event-stream"}};
    if (!sid.empty()) h["Mcp-Session-Id"] = sid;
    return h;
  }
  std::string Init(HttpClient& c, int expect_status = 200) {
    auto r = c.Request("POST", "/mcp",
                       R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}})", H());
    EXPECT_EQ(r.status, expect_status);
    return r.header("mcp-session-id");
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<HttpTransport> http_;
  unsigned short port_ = 0;
  std::atomic<bool> release_{false};
};

TEST_F(MetricsTest, EveryMetricIsPresentAndMoves) {
  const auto before = Scrape();
  for (const char* name :
       {"mcpx_sessions_active", "mcpx_sessions_created_total", "mcpx_sessions_expired_total",
        "mcpx_sessions_rejected_total", "mcpx_sessions_closed_total", "mcpx_requests_inflight",
        "mcpx_worker_queue_depth", "mcpx_directory_contended_total", "mcpx_event_store_events",
        "mcpx_sse_streams", "mcpx_sse_events_total", "mcpx_http_connections", "mcpx_http_errors_total",
        "mcpx_messages_dropped_total", "mcpx_requests_overdue_total", "mcpx_requests_timed_out_total",
        "mcpx_request_duration_seconds_count", "mcpx_request_duration_seconds_sum",
        "mcpx_request_duration_seconds_bucket{le=\"+Inf\"}",
        "mcpx_requests_total{method=\"tools/call\",outcome=\"ok\"}"}) {
    EXPECT_TRUE(before.count(name)) << name;
  }

  HttpClient a(port_), b(port_), c(port_), d(port_);
  const std::string sa = Init(a), sb = Init(b), sc = Init(c);
  Init(d, 503);  // over the cap of 3

  // Two slow calls on one worker: one runs, one waits in the queue.
  HttpClient s1(port_), s2(port_);
  const std::string call = R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"slow"}})";
  s1.SendRaw(HttpClient::Build("POST", "/mcp", call, H(sa)));
  s2.SendRaw(HttpClient::Build("POST", "/mcp", call, H(sb)));
  std::map<std::string, double> during;
  for (int i = 0; i < 500; ++i) {
    during = Scrape();
    if (during["mcpx_requests_inflight"] >= 2 && during["mcpx_worker_queue_depth"] >= 1) break;
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_GE(during["mcpx_requests_inflight"], 2);
  EXPECT_GE(during["mcpx_worker_queue_depth"], 1);
  EXPECT_GE(during["mcpx_http_connections"], 6);
  release_ = true;
  EXPECT_EQ(s1.Read().status, 200);
  EXPECT_EQ(s2.Read().status, 200);

  // An SSE response: a stream, stored events.
  auto sse = c.Request("POST", "/mcp", R"({"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"chatty"}})", H(sc));
  EXPECT_EQ(sse.header("content-type"), "text/event-stream");
  const auto after_sse = Scrape();
  EXPECT_GE(after_sse.at("mcpx_event_store_events"), 2);

  // Let the sessions idle out.
  std::map<std::string, double> after;
  for (int i = 0; i < 300; ++i) {
    after = Scrape();
    if (after["mcpx_sessions_active"] == 0) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(after["mcpx_sessions_active"], 0);
  EXPECT_EQ(after["mcpx_sessions_created_total"] - before.at("mcpx_sessions_created_total"), 3);
  EXPECT_EQ(after["mcpx_sessions_rejected_total"] - before.at("mcpx_sessions_rejected_total"), 1);
  EXPECT_EQ(after["mcpx_sessions_expired_total"] - before.at("mcpx_sessions_expired_total"), 3);
  EXPECT_EQ(after["mcpx_event_store_events"], 0);  // freed with their sessions
  EXPECT_GE(after["mcpx_sse_events_total"], 2);
  EXPECT_EQ(after["mcpx_requests_total{method=\"tools/call\",outcome=\"ok\"}"], 3);
  EXPECT_EQ(after["mcpx_request_duration_seconds_count"] - before.at("mcpx_request_duration_seconds_count"), 3);
  EXPECT_GT(after["mcpx_request_duration_seconds_sum"], 0);
  EXPECT_GE(after["mcpx_http_errors_total"], 1);  // the 503
  EXPECT_EQ(after["mcpx_requests_inflight"], 0);
  EXPECT_EQ(after["mcpx_worker_queue_depth"], 0);
}

}  // namespace
}  // namespace mcpx
