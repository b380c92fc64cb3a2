// The demo server's tools, resources and prompts.
#pragma once

namespace mcpx {
class Server;
namespace demo {
void Register(Server& server);
}
}  // namespace mcpx
