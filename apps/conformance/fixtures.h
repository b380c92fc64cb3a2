// The conformance fixtures (see the suite's fixture-server README): tools,
// resources and prompts with the names and behaviour its scenarios check.
#pragma once

namespace mcpx {
class Server;
namespace conformance {
void Register(Server& server);
// The fixtures only 2026-07-28 scenarios call (fixtures_2026.cc).
void RegisterStateless(Server& server);
// Dynamic tool/resource/prompt after 2 s; watched-resource updates every 3 s.
void StartAutomaticBehaviours(Server& server);
}  // namespace conformance
}  // namespace mcpx
