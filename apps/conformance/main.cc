// mcpx-conformance-server: the fixture server the official MCP conformance
// suite (@modelcontextprotocol/conformance, server mode) expects: its tools,
// resources and prompts by their standard names, over Streamable HTTP.
#include <CLI/CLI.hpp>

#include "common/serve.h"
#include "fixtures.h"

int main(int argc, char** argv) {
  CLI::App app{"mcpx-conformance-server: fixtures for the MCP conformance suite"};
  mcpx::HttpOptions http;
  http.port = 3000;
  app.add_option("--host", http.host, "Address to bind")->capture_default_str();
  app.add_option("--port", http.port, "Port to bind (0: any free port)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  mcpx::Server server({.name = "mcpx-conformance-server", .version = "0.1.0"});
  mcpx::conformance::Register(server);
  return mcpx::apps::ServeHttp(server, http, std::chrono::seconds(5),
                               [&server](std::uint16_t) { mcpx::conformance::StartAutomaticBehaviours(server); });
}
