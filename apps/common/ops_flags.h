// The operations listener's flags: /metrics, /healthz and the admin endpoint
// on a listener of their own (HttpOptions::serve_mcp = false), off the MCP
// listener.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "mcpx/http_transport.h"

namespace mcpx::apps {

// Adds the flags to `app`; call the returned function after parsing the MCP
// listener's options (`http`): with --ops-port it moves /metrics, /healthz
// and the admin endpoint from `http` to the options it returns.
inline std::function<std::optional<HttpOptions>()> AddOpsFlags(CLI::App& app, HttpOptions& http) {
  auto host = std::make_shared<std::string>("127.0.0.1");
  auto port = std::make_shared<std::optional<std::uint16_t>>();
  app.add_option("--ops-port", *port,
                 "Serve /metrics, /healthz and the admin endpoint on this port instead of the MCP listener's "
                 "(0: any free port)");
  app.add_option("--ops-host", *host, "Address of the --ops-port listener")->capture_default_str();
  return [&http, host, port]() -> std::optional<HttpOptions> {
    if (!port->has_value()) return std::nullopt;
    HttpOptions ops;
    ops.host = *host;
    ops.port = **port;
    ops.serve_mcp = false;
    ops.metrics_token = http.metrics_token;
    ops.admin_token = std::move(http.admin_token);
    ops.tls = http.tls;
    ops.behind_proxy = http.behind_proxy;
    ops.header_timeout = http.header_timeout;
    ops.allowed_hosts = http.allowed_hosts;
    http.serve_metrics = false;
    http.admin_token.clear();
    return ops;
  };
}

}  // namespace mcpx::apps
