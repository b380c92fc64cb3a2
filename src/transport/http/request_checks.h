// Pure checks on HTTP request headers, apart from any socket so they can be
// unit-tested and fuzzed. Thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/fields.hpp>

#include "engine/principal.h"

namespace mcpx::transport::http {

inline constexpr std::string_view kSessionHeader = "Mcp-Session-Id";
inline constexpr std::string_view kVersionHeader = "MCP-Protocol-Version";
inline constexpr std::string_view kLastEventIdHeader = "Last-Event-ID";
// 2026-07-28 (SEP-2243): the body's method and name, and tool arguments
// mirrored as Mcp-Param-{Name}.
inline constexpr std::string_view kMethodHeader = "Mcp-Method";
inline constexpr std::string_view kNameHeader = "Mcp-Name";
inline constexpr std::string_view kParamHeaderPrefix = "Mcp-Param-";

// The request headers the transport reads; the parser records each field
// with RecordHeader and keeps nothing else. Absent ones are empty.
struct RequestHeaders {
  std::string host, origin, accept, content_type;
  std::string session_id, protocol_version, last_event_id;
  std::string mcp_method, mcp_name;
  std::string authorization;
  // Who the Authorization header proved (HttpOptions::auth); null: nobody.
  engine::PrincipalPtr principal;
  // Mcp-Param-{Name} headers: {Name, value}. Bounded by the header limits.
  std::vector<std::pair<std::string, std::string>> mcp_params;
  bool expect_continue = false;
  unsigned seen = 0;  // which single-valued fields were present
  void Clear();
};

// Records one header field. Accept may repeat (its values are joined with
// ", ", as RFC 9110 allows for list-valued fields); Host, Origin,
// Content-Type, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID,
// Mcp-Method, Mcp-Name and each Mcp-Param-{Name} may not: a second one makes the request ambiguous (RFC 9112 demands 400 for
// Host), and the result is false.
bool RecordHeader(RequestHeaders& headers, boost::beast::http::field name,
                  std::string_view name_string, std::string_view value);

// Accept header media ranges ("*/*", "text/*" and parameters understood).
bool AcceptsMediaType(std::string_view accept, std::string_view type);
// "application/json", optionally with parameters such as charset.
bool IsJsonContentType(std::string_view content_type);

// Host and Origin allowlists for DNS-rebinding protection. Comparison is
// case-insensitive.
class HostPolicy {
 public:
  // Empty lists: the defaults for `bind_host`:`port` (see HttpOptions).
  HostPolicy(std::string_view bind_host, unsigned port, std::vector<std::string> hosts,
             std::vector<std::string> origins);
  bool HostAllowed(std::string_view host) const;
  // An absent Origin (non-browser clients) is allowed.
  bool OriginAllowed(std::string_view origin) const;

 private:
  std::vector<std::string> hosts_;
  std::vector<std::string> origins_;
};

}  // namespace mcpx::transport::http
