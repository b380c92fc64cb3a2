// Checks tool arguments against the top level of the tool's inputSchema:
// required properties present, declared primitive types matched. Throws
// mcpx::Error(-32602) naming the first problem. Deeper JSON Schema keywords are
// left to the handler.
#pragma once

#include "mcpx/json.h"

namespace mcpx::engine {

void ValidateArguments(const json::object& input_schema, const json::object& arguments);

}  // namespace mcpx::engine
