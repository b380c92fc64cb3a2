// The smallest mcpx server: one tool, over stdio (an MCP client starts it as
// a subprocess) or, with --http PORT, over Streamable HTTP on 127.0.0.1.
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "mcpx/http_transport.h"
#include "mcpx/server.h"
#include "mcpx/stdio_transport.h"

int main(int argc, char** argv) {
  mcpx::Server server({.name = "echo-example"});
  server.AddTool({
      .name = "echo",
      .description = "Says the text back",
      .input_schema = mcpx::json::parse(
                          R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})")
                          .as_object(),
      .handler = [](mcpx::Context&, const mcpx::json::object& args) {
        return mcpx::ToolResult::Text(std::string(args.at("text").as_string()));
      }});
  if (argc == 3 && std::strcmp(argv[1], "--http") == 0) {
    mcpx::HttpTransport http(server, {.port = static_cast<std::uint16_t>(std::atoi(argv[2]))});
    const std::uint16_t port = http.Listen();
    std::cerr << "listening on http://127.0.0.1:" + std::to_string(port) + "/mcp\n";  // one write
    server.Run();
    return 0;
  }
  server.Start();
  mcpx::StdioTransport stdio(server);
  stdio.Run();
  server.Stop();
  server.Wait();
  return 0;
}
