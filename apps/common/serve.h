// The executables' shared start-up: start the server, bind the HTTP
// transport, announce "listening on http://HOST:PORT/mcp" on stderr, and serve
// until SIGINT/SIGTERM.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <string>

#include "common/signals.h"
#include "mcpx/http_transport.h"
#include "mcpx/server.h"

namespace mcpx::apps {

// Returns the process exit code. `on_listening` runs once the port is bound.
// SIGINT/SIGTERM shut down gracefully: the listener closes, then
// Server::Shutdown(drain) lets running requests finish (and answers the rest).
inline int ServeHttp(Server& server, const HttpOptions& http, std::chrono::milliseconds drain,
                     const std::function<void(std::uint16_t port)>& on_listening = {}) {
  HttpTransport transport(server, http);
  HandleTerminationSignals([&server, &transport, drain] {
    transport.Close();
    server.Shutdown(drain);
  });
  server.Start();
  std::uint16_t port = 0;
  try {
    port = transport.Listen();
  } catch (const std::exception& e) {
    std::cerr << "cannot listen on " << http.host << ":" << http.port << ": " << e.what() << "\n";
    server.Stop();
    server.Wait();
    return 1;
  }
  // One write, so that a reader of stderr never sees half of this line.
  std::cerr << ("listening on http://" + http.host + ":" + std::to_string(port) + http.path + "\n");
  if (on_listening) on_listening(port);
  std::cerr << std::flush;
  server.Wait();
  return 0;
}

}  // namespace mcpx::apps
