// The executables' shared start-up: start the server, bind the HTTP
// transport, announce "listening on http(s)://HOST:PORT/mcp" on stderr, and
// serve until SIGINT/SIGTERM.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>

#include "common/signals.h"
#include "mcpx/http_transport.h"
#include "mcpx/server.h"

namespace mcpx::apps {

// Returns the process exit code. `on_listening` runs once the port is bound.
// SIGINT/SIGTERM shut down gracefully: the listener closes, then
// Server::Shutdown(drain) lets running requests finish (and answers the rest).
// With TLS, SIGHUP reads the certificate and key files again
// (HttpTransport::ReloadCertificates; a failure is logged and the old
// certificate stays).
inline int ServeHttp(Server& server, const HttpOptions& http, std::chrono::milliseconds drain,
                     const std::function<void(std::uint16_t port)>& on_listening = {}) {
  HttpTransport transport(server, http);
  // The signal thread outlives this frame: it reaches the transport through
  // a pointer cleared before the transport goes.
  struct ReloadTarget {
    std::mutex mu;
    HttpTransport* transport = nullptr;
  };
  auto target = std::make_shared<ReloadTarget>();
  target->transport = &transport;
  std::function<void()> on_reload;
  if (http.tls) {
    on_reload = [target] {
      std::lock_guard<std::mutex> lock(target->mu);
      if (target->transport != nullptr) target->transport->ReloadCertificates();
    };
  }
  HandleSignals(
      [&server, &transport, drain] {
        transport.Close();
        server.Shutdown(drain);
      },
      std::move(on_reload));
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
  std::cerr << (std::string(http.tls ? "listening on https://" : "listening on http://") + http.host + ":" +
                std::to_string(port) + http.path + "\n");
  if (on_listening) on_listening(port);
  std::cerr << std::flush;
  server.Wait();
  std::lock_guard<std::mutex> lock(target->mu);
  target->transport = nullptr;
  return 0;
}

}  // namespace mcpx::apps
