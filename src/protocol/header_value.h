// Values MCP mirrors into HTTP headers (Mcp-Name, Mcp-Param-{Name}; 2026-07-28
// basic/transports/streamable-http, "Value Encoding"): a value that is not
// plain header-safe ASCII travels as "=?base64?<RFC 4648 base64>?=".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mcpx/json.h"

namespace mcpx::protocol {

// The value a header carries: the decoded text of an encoded value, the value
// itself otherwise (the markers are exact and lowercase; one without both is
// literal). Nullopt for an encoded value that is not strict base64 (padding
// and alphabet checked) or a plain one with characters outside visible
// ASCII, space and tab.
std::optional<std::string> DecodeHeaderValue(std::string_view value);

// Whether a decoded header value stands for `body` (a string, an integer
// compared numerically, or a boolean as "true"/"false"). Other JSON types are
// never mirrored into headers and never match.
bool HeaderMatchesJson(std::string_view header, const json::value& body);

}  // namespace mcpx::protocol
