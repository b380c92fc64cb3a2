// mcpxd: the demo MCP server. Serves a small, real set of tools, resources and
// prompts over Streamable HTTP (default 127.0.0.1:8080/mcp) or stdio.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "common/auth_flags.h"
#include "common/config_file.h"
#include "common/guard_flags.h"
#include "common/ops_flags.h"
#include "common/option_flags.h"
#include "common/serve.h"
#include "common/tls_flags.h"
#include "demo_catalog.h"
#include "mcpx/server.h"
#include "mcpx/stdio_transport.h"

int main(int argc, char** argv) {
  CLI::App app{"mcpxd: the mcpx demo MCP server"};
  mcpx::ServerOptions options;
  options.name = "mcpxd";
  options.title = "mcpx demo server";
  options.instructions = "Demo tools: echo, add, sleep, countdown, sessions. Resources under mcpx://.";
  mcpx::HttpOptions http;
  bool stdio = false;
  std::size_t drain_ms = 10000;
  app.add_flag("--stdio", stdio, "Serve one client over stdin/stdout instead of HTTP");
  mcpx::apps::AddServerFlags(app, options);
  mcpx::apps::AddHttpFlags(app, http);
  const auto guard_flags_parsed = mcpx::apps::AddGuardFlags(app, options, http);
  const auto tls_flags_parsed = mcpx::apps::AddTlsFlags(app, http);
  const auto ops_flags_parsed = mcpx::apps::AddOpsFlags(app, http);
  const auto auth_flags_parsed = mcpx::apps::AddAuthFlags(app, http);
  app.add_option("--drain-ms", drain_ms, "On SIGTERM/SIGINT, how long running requests may finish")
      ->capture_default_str();
  std::string config;
  mcpx::apps::AddConfigFlag(app, config);
  CLI11_PARSE(app, argc, argv);
  if (std::string error; !config.empty() && !mcpx::apps::ApplyConfigFile(app, config, &error)) {
    std::cerr << "mcpxd: " << error << "\n";
    return 2;
  }
  guard_flags_parsed();
  tls_flags_parsed();
  const std::optional<mcpx::HttpOptions> ops = ops_flags_parsed();
  auth_flags_parsed();
  if (http.auth && http.auth->scopes_supported.empty()) http.auth->scopes_supported = {"mcp:tools", "mcp:admin"};

  mcpx::Server server(options);
  mcpx::demo::Register(server, /*scopes=*/http.auth.has_value());
  if (stdio) {
    mcpx::apps::HandleSignals([&server] { server.Stop(); });
    server.Start();
    mcpx::StdioTransport transport(server);
    transport.Run();
    server.Stop();
    server.Wait();
    return 0;
  }
  return mcpx::apps::ServeHttp(
      server, http, std::chrono::milliseconds(drain_ms),
      [&http](std::uint16_t port) {
        std::cerr << "connect an MCP client with the Streamable HTTP transport to that URL, e.g.\n"
                  << "  npx @modelcontextprotocol/inspector  (transport: Streamable HTTP)\n";
        if (http.serve_metrics) {
          std::cerr << "metrics at " << (http.tls ? "https://" : "http://") << http.host << ":" << port << "/metrics; ";
        }
        std::cerr << "Ctrl-C stops\n";
      },
      ops);
}
