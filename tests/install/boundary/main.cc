// mcpx::Error across the library boundary, over stdio (tests/install/run.sh):
//   "throws": the handler, compiled here, throws mcpx::Error; the engine, in
//     libmcpx, must catch it as mcpx::Error and answer its code and message
//     (anything else would be -32603 "Internal error");
//   "nested": Server::CallTool, in libmcpx, throws mcpx::Error for an unknown
//     tool; this binary must catch it as mcpx::Error.
#include <string>

#include "mcpx/error.h"
#include "mcpx/server.h"
#include "mcpx/stdio_transport.h"

int main() {
  mcpx::Server server({.name = "boundary"});
  const auto schema = mcpx::json::parse(R"({"type":"object"})").as_object();
  server.AddTool({.name = "throws",
                  .description = "throws mcpx::Error",
                  .input_schema = schema,
                  .handler = [](mcpx::Context&, const mcpx::json::object&) -> mcpx::ToolResult {
                    throw mcpx::Error(mcpx::ErrorCode::kInvalidParams, "thrown by user code");
                  }});
  server.AddTool({.name = "nested",
                  .description = "catches mcpx::Error from the library",
                  .input_schema = schema,
                  .handler = [&server](mcpx::Context& ctx, const mcpx::json::object&) {
                    try {
                      server.CallTool(ctx, "no-such-tool", {});
                    } catch (const mcpx::Error& e) {
                      return mcpx::ToolResult::Text("caught mcpx::Error " + std::to_string(e.code()));
                    } catch (...) {
                      return mcpx::ToolResult::Text("caught something else");
                    }
                    return mcpx::ToolResult::Text("nothing thrown");
                  }});
  server.Start();
  mcpx::StdioTransport stdio(server);
  stdio.Run();
  server.Stop();
  server.Wait();
  return 0;
}
