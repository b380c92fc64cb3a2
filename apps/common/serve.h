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
#include <optional>
#include <vector>
#include <string>

#include "common/signals.h"
#include "mcpx/http_transport.h"
#include "mcpx/server.h"

namespace mcpx::apps {

// Returns the process exit code. `on_listening` runs once the port is bound.
// `ops`: a second, operations listener (HttpOptions::serve_mcp = false).
// SIGINT/SIGTERM shut down gracefully: the listeners close, then
// Server::Shutdown(drain) lets running requests finish (and answers the rest).
// SIGHUP reads TLS certificate and key files again
// (HttpTransport::ReloadCertificates; a failure is logged and the old
// certificate stays); without TLS it is logged and ignored.
inline int ServeHttp(Server& server, const HttpOptions& http, std::chrono::milliseconds drain,
                     const std::function<void(std::uint16_t port)>& on_listening = {},
                     const std::optional<HttpOptions>& ops = std::nullopt) {
  HttpTransport transport(server, http);
  std::unique_ptr<HttpTransport> ops_transport;
  if (ops) ops_transport = std::make_unique<HttpTransport>(server, *ops);
  // The signal thread outlives this frame: it reaches the transports through
  // a list filled once they listen and emptied before they go (on every way
  // out of this function).
  struct ReloadTarget {
    std::mutex mu;
    std::vector<HttpTransport*> transports;
  };
  auto target = std::make_shared<ReloadTarget>();
  struct Clear {
    ReloadTarget& t;
    ~Clear() {
      std::lock_guard<std::mutex> lock(t.mu);
      t.transports.clear();
    }
  } clear_on_return{*target};
  // SIGHUP reloads the TLS certificates; without TLS it only says so (it
  // must not end a server someone meant to reload).
  HandleSignals(
      [&server, &transport, &ops_transport, drain] {
        transport.Close();
        if (ops_transport) ops_transport->Close();
        server.Shutdown(drain);
      },
      [target] {
        std::lock_guard<std::mutex> lock(target->mu);
        if (target->transports.empty()) std::cerr << "SIGHUP: no TLS certificate to reload\n";
        for (HttpTransport* t : target->transports) t->ReloadCertificates();
      });
  server.Start();
  std::uint16_t port = 0;
  std::uint16_t ops_port = 0;
  try {
    port = transport.Listen();
    if (ops_transport) ops_port = ops_transport->Listen();
  } catch (const std::exception& e) {
    std::cerr << "cannot listen: " << e.what() << "\n";
    server.Stop();
    server.Wait();
    return 1;
  }
  {
    std::lock_guard<std::mutex> lock(target->mu);
    if (http.tls) target->transports.push_back(&transport);
    if (ops && ops->tls) target->transports.push_back(ops_transport.get());
  }
  auto url = [](const HttpOptions& o, std::uint16_t p) {
    return std::string(o.tls ? "https://" : "http://") + o.host + ":" + std::to_string(p);
  };
  // One write, so that a reader of stderr never sees half of this line.
  std::cerr << ("listening on " + url(http, port) + http.path + "\n");
  if (ops) std::cerr << ("operations listener on " + url(*ops, ops_port) + " (/metrics, /healthz)\n");
  if (on_listening) on_listening(port);
  std::cerr << std::flush;
  server.Wait();
  return 0;
}

}  // namespace mcpx::apps
