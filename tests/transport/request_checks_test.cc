#include "transport/http/request_checks.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace mcpx::transport::http {
namespace {

namespace beast_http = boost::beast::http;

TEST(RecordHeader, FindsEachHeaderCaseInsensitively) {
  using beast_http::field;
  RequestHeaders h;
  EXPECT_TRUE(RecordHeader(h, field::host, "hOsT", "127.0.0.1:8080"));
  EXPECT_TRUE(RecordHeader(h, field::accept, "Accept", "application/json, text/event-stream"));
  EXPECT_TRUE(RecordHeader(h, field::content_type, "content-type", "application/json"));
  EXPECT_TRUE(RecordHeader(h, field::unknown, "mcp-session-id", "abc"));
  EXPECT_TRUE(RecordHeader(h, field::unknown, "mcp-PROTOCOL-version", "2025-11-25"));
  EXPECT_TRUE(RecordHeader(h, field::unknown, "last-event-id", "1-4"));
  EXPECT_TRUE(RecordHeader(h, field::unknown, "X-Other", "ignored"));
  EXPECT_TRUE(RecordHeader(h, field::expect, "Expect", " 100-Continue "));
  EXPECT_EQ(h.host, "127.0.0.1:8080");
  EXPECT_EQ(h.accept, "application/json, text/event-stream");
  EXPECT_EQ(h.content_type, "application/json");
  EXPECT_EQ(h.session_id, "abc");
  EXPECT_EQ(h.protocol_version, "2025-11-25");
  EXPECT_EQ(h.last_event_id, "1-4");
  EXPECT_TRUE(h.origin.empty());
  EXPECT_TRUE(h.expect_continue);
}

// RFC 9112 3.2: a second Host is a 400; the other single-valued headers the
// transport reads are just as ambiguous when repeated (which one names the
// session?). Accept is a list and may repeat.
TEST(RecordHeader, ASecondSingleValuedHeaderIsRefusedAcceptIsJoined) {
  using beast_http::field;
  for (auto [f, name] : std::vector<std::pair<field, std::string>>{
           {field::host, "Host"}, {field::origin, "Origin"}, {field::content_type, "Content-Type"},
           {field::unknown, "Mcp-Session-Id"}, {field::unknown, "MCP-Protocol-Version"},
           {field::unknown, "Last-Event-ID"}}) {
    RequestHeaders h;
    EXPECT_TRUE(RecordHeader(h, f, name, "")) << name;  // present though empty
    EXPECT_FALSE(RecordHeader(h, f, name, "second")) << name;
  }
  RequestHeaders h;
  EXPECT_TRUE(RecordHeader(h, field::accept, "Accept", "application/json"));
  EXPECT_TRUE(RecordHeader(h, field::accept, "Accept", "text/event-stream"));
  EXPECT_EQ(h.accept, "application/json, text/event-stream");
  EXPECT_TRUE(AcceptsMediaType(h.accept, "text/event-stream"));
  h.Clear();
  EXPECT_TRUE(h.accept.empty());
  EXPECT_TRUE(RecordHeader(h, field::host, "Host", "a"));
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
