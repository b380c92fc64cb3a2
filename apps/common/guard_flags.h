// The guard flags both executables take (issue 10): limits per client
// address and the header timeout (HttpOptions), per session (ServerOptions).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>

#include <CLI/CLI.hpp>

#include "mcpx/http_transport.h"
#include "mcpx/server.h"

namespace mcpx::apps {

// Adds the flags to `app`; call the returned function after parsing (it
// converts what needs converting).
inline std::function<void()> AddGuardFlags(CLI::App& app, ServerOptions& options, HttpOptions& http) {
  auto header_timeout_s = std::make_shared<double>(10);
  app.add_option("--ip-rate", http.ip_rate, "Requests/s per client address, burst the same (0: no limit)")
      ->capture_default_str();
  app.add_option("--ip-connection-rate", http.ip_connection_rate,
                 "New connections/s per client address, burst the same (0: no limit)")
      ->capture_default_str();
  app.add_option("--session-rate", options.session_rate, "Requests/s per session, burst the same (0: no limit)")
      ->capture_default_str();
  app.add_option("--session-bytes-rate", options.session_bytes_rate,
                 "Bytes/s per session, requests and responses together, burst the same (0: no limit)")
      ->capture_default_str();
  app.add_option("--reputation-threshold", http.reputation_threshold,
                 "Offense score that blocks a client address for a minute (0: off)")
      ->capture_default_str();
  app.add_option("--header-timeout", *header_timeout_s, "Seconds a request's head may take from its first byte")
      ->capture_default_str();
  app.add_option("--max-connections-per-ip", http.max_connections_per_ip,
                 "Connections open at once from one client address (0: no limit)")
      ->capture_default_str();
  return [&http, header_timeout_s] {
    http.header_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(*header_timeout_s * 1000));
    // Secrets, so from the environment rather than the command line.
    if (const char* token = std::getenv("MCPX_ADMIN_TOKEN"); token != nullptr) http.admin_token = token;
    if (const char* token = std::getenv("MCPX_METRICS_TOKEN"); token != nullptr) http.metrics_token = token;
  };
}

}  // namespace mcpx::apps
