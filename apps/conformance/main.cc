// mcpx-conformance-server: the fixture server the official MCP conformance
// suite (@modelcontextprotocol/conformance, server mode) expects: its tools,
// resources and prompts by their standard names, over Streamable HTTP.
#include <iostream>

#include <CLI/CLI.hpp>

#include "common/signals.h"
#include "fixtures.h"
#include "mcpx/http_transport.h"
#include "mcpx/server.h"

int main(int argc, char** argv) {
  CLI::App app{"mcpx-conformance-server: fixtures for the MCP conformance suite"};
  mcpx::HttpOptions http;
  http.port = 3000;
  app.add_option("--host", http.host, "Address to bind")->capture_default_str();
  app.add_option("--port", http.port, "Port to bind (0: any free port)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  mcpx::Server server({.name = "mcpx-conformance-server", .version = "0.1.0"});
  mcpx::conformance::Register(server);
  mcpx::apps::HandleTerminationSignals([&server] { server.Stop(); });
  server.Start();
  mcpx::HttpTransport transport(server, http);
  std::uint16_t port = 0;
  try {
    port = transport.Listen();
  } catch (const std::exception& e) {
    std::cerr << "cannot listen: " << e.what() << "\n";
    server.Stop();
    server.Wait();
    return 1;
  }
  mcpx::conformance::StartAutomaticBehaviours(server);
  std::cerr << "listening on http://" << http.host << ":" << port << "/mcp\n" << std::flush;
  server.Wait();
  return 0;
}
