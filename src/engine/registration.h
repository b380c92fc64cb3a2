// What Server::Add* refuses because it could never work: each check throws
// std::invalid_argument with a sentence naming the item and the problem.
// Registration is the program's own doing, not network input, so a mistake
// there stops the program where it is made rather than at the first call.
#pragma once

#include "mcpx/types.h"

namespace mcpx::engine {

// A name of 1 to 128 characters from A-Z a-z 0-9 _ - . (the MCP tool name
// rules); a handler; input and output schemas whose type is "object".
void CheckTool(const Tool& tool);
// A URI and a name; a reader.
void CheckResource(const Resource& resource);
// A template engine::MatchUriTemplate can use (uri_template.h); a name; a reader.
void CheckResourceTemplate(const ResourceTemplate& resource_template);
// A name; a handler; argument names present and distinct.
void CheckPrompt(const Prompt& prompt);

}  // namespace mcpx::engine
