// mcpx uses Boost.JSON for every JSON value that crosses its API.
#pragma once

#include <boost/json.hpp>

#include <string>

namespace mcpx {
namespace json = boost::json;

// `v` as JSON text the way people write it: numbers in their shortest
// decimal form (6.75, where json::serialize writes 6.75E0). For text meant
// to be read, such as a tool result's text block; the wire needs neither.
std::string FormatJson(const json::value& v);
}  // namespace mcpx
