// The engine behind a Server, for the library's own parts (Port) and its
// tests; the public header names this accessor as a friend and nothing more.
#pragma once

#include "engine/engine.h"
#include "mcpx/server.h"

namespace mcpx::engine {

struct ServerAccess {
  static Engine& EngineOf(Server& server) { return *server.engine_; }
};

}  // namespace mcpx::engine
