#include "transport/http/request_checks.h"

#include <gtest/gtest.h>

namespace mcpx::transport::http {
namespace {

namespace beast_http = boost::beast::http;

TEST(ScanHeaders, FindsEachHeaderCaseInsensitivelyFirstOneWins) {
  beast_http::fields f;
  f.insert("hOsT", "127.0.0.1:8080");
  f.insert(beast_http::field::accept, "application/json, text/event-stream");
  f.insert("content-type", "application/json");
  f.insert("mcp-session-id", "abc");
  f.insert("Mcp-Session-Id", "second");
  f.insert("mcp-PROTOCOL-version", "2025-11-25");
  f.insert("last-event-id", "s1:4");
  f.insert("X-Other", "ignored");
  const RequestHeaders h = ScanHeaders(f);
  EXPECT_EQ(h.host, "127.0.0.1:8080");
  EXPECT_EQ(h.accept, "application/json, text/event-stream");
  EXPECT_EQ(h.content_type, "application/json");
  EXPECT_EQ(h.session_id, "abc");
  EXPECT_EQ(h.protocol_version, "2025-11-25");
  EXPECT_EQ(h.last_event_id, "s1:4");
  EXPECT_TRUE(h.origin.empty());
  // The same answers as looking each one up.
  EXPECT_EQ(h.session_id, f[kSessionHeader]);
  EXPECT_EQ(h.host, f[beast_http::field::host]);
}

TEST(ScanHeaders, NoHeadersLeavesEverythingEmpty) {
  const RequestHeaders h = ScanHeaders(beast_http::fields{});
  EXPECT_TRUE(h.host.empty() && h.session_id.empty() && h.accept.empty());
}

TEST(RequestChecks, MediaTypesAreCaseInsensitiveWithWildcardsAndParameters) {
  EXPECT_TRUE(AcceptsMediaType("Application/JSON", "application/json"));
  EXPECT_TRUE(AcceptsMediaType("text/html, */*;q=0.1", "text/event-stream"));
  EXPECT_TRUE(AcceptsMediaType("TEXT/*", "text/event-stream"));
  EXPECT_FALSE(AcceptsMediaType("text/html, application/xml", "application/json"));
  EXPECT_FALSE(AcceptsMediaType("", "application/json"));
  EXPECT_TRUE(IsJsonContentType(" application/JSON ; charset=utf-8"));
  EXPECT_FALSE(IsJsonContentType("application/jsonx"));
}

TEST(RequestChecks, HostPolicyDefaultsAndCase) {
  const HostPolicy policy("127.0.0.1", 8080, {}, {});
  EXPECT_TRUE(policy.HostAllowed("LOCALHOST:8080"));
  EXPECT_TRUE(policy.HostAllowed(" 127.0.0.1 "));
  EXPECT_FALSE(policy.HostAllowed("evil.example:8080"));
  EXPECT_FALSE(policy.HostAllowed(""));
  EXPECT_TRUE(policy.OriginAllowed(""));
  EXPECT_TRUE(policy.OriginAllowed("HTTP://localhost:8080"));
  EXPECT_FALSE(policy.OriginAllowed("http://evil.example"));

  const HostPolicy custom("0.0.0.0", 9, {"Api.Example.com"}, {});
  EXPECT_TRUE(custom.HostAllowed("api.example.COM"));
  EXPECT_FALSE(custom.HostAllowed("localhost:9"));
  EXPECT_TRUE(custom.OriginAllowed("https://API.example.com"));
}

}  // namespace
}  // namespace mcpx::transport::http
