// mcpx uses Boost.JSON for every JSON value that crosses its API.
#pragma once

#include <boost/json.hpp>

namespace mcpx {
namespace json = boost::json;
}  // namespace mcpx
