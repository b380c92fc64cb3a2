// The demo server's tools, resources and prompts.
#pragma once

namespace mcpx {
class Server;
namespace demo {
// `scopes`: with bearer authentication, echo needs "mcp:tools" and the
// admin_only tool (which needs "mcp:admin") is added.
void Register(Server& server, bool scopes = false);
}
}  // namespace mcpx
