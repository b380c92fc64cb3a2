// MCP-over-HTTP steps shared by the transport tests: the headers a client
// sends, a whole initialize handshake, and reading one /metrics sample.
#pragma once

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "support/http_client.h"

namespace mcpx::testing {

inline constexpr char kInitializeBody[] =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
    R"("capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";

inline std::map<std::string, std::string> McpHeaders(const std::string& session = "") {
  std::map<std::string, std::string> h{{"Content-Type", "application/json"},
                                       {"Accept", "application/json, text/event-stream"}};
  if (!session.empty()) h["Mcp-Session-Id"] = session;
  return h;
}

// initialize + notifications/initialized; returns the session id.
inline std::string InitializeSession(HttpClient& c) {
  HttpResponse r = c.Request("POST", "/mcp", kInitializeBody, McpHeaders());
  EXPECT_EQ(r.status, 200) << r.body;
  const std::string sid = r.header("mcp-session-id");
  EXPECT_EQ(c.Request("POST", "/mcp", R"({"jsonrpc":"2.0","method":"notifications/initialized"})",
                      McpHeaders(sid)).status, 202);
  return sid;
}

// One unlabelled sample of GET /metrics; -1 when absent.
inline long long ScrapeMetric(unsigned short port, const std::string& name) {
  HttpClient c(port);
  const std::string text = c.Request("GET", "/metrics", "", {}).body;
  const auto pos = text.find("\n" + name + " ");
  if (pos == std::string::npos) return -1;
  return std::stoll(text.substr(pos + name.size() + 2));
}

}  // namespace mcpx::testing
