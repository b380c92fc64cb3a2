// Resource URI templates (RFC 6570), the part MCP servers need: simple
// expansion {name}, whose value is one or more characters other than '/',
// and reserved expansion {+name}, whose value may hold '/' (a path) and
// which only literal text may follow. Values are percent-decoded.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace mcpx::engine {

// Empty when `uri_template` is one MatchUriTemplate can use; otherwise what
// is wrong with it, as a sentence (for refusing it at registration).
std::string CheckUriTemplate(std::string_view uri_template);

// Matches `uri` against `uri_template`. On success replaces `vars` with the
// decoded variables, by name; otherwise leaves them alone. A simple variable
// runs up to the next literal character of the template or the next '/'; a
// name used twice must have the same value both times. A template that
// CheckUriTemplate refuses matches nothing. Linear in the URI's length.
bool MatchUriTemplate(std::string_view uri_template, std::string_view uri, std::map<std::string, std::string>& vars);

}  // namespace mcpx::engine
