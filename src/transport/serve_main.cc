#include "mcpx/serve.h"

#include <charconv>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>

#include "mcpx/http_transport.h"
#include "mcpx/stdio_transport.h"

namespace mcpx {

int ServeMain(Server& server, int argc, char** argv) {
  const std::string_view program = argc > 0 ? argv[0] : "server";
  if (argc == 1) {
    server.Start();
    StdioTransport stdio(server);
    stdio.Run();
    server.Stop();
    return 0;
  }
  std::uint16_t port = 0;
  const std::string_view flag = argv[1];
  const std::string_view value = argc == 3 ? argv[2] : "";
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), port);
  if (argc != 3 || flag != "--http" || ec != std::errc() || end != value.data() + value.size()) {
    std::cerr << "usage: " << program << "               serve over stdio\n"
              << "       " << program << " --http PORT   serve over HTTP on 127.0.0.1:PORT\n";
    return 2;
  }
  HttpTransport http(server, {.port = port});
  // One write: the library logs on stderr too, from other threads.
  const std::uint16_t bound = http.Listen();
  std::cerr << "listening on http://127.0.0.1:" + std::to_string(bound) + "/mcp\n";
  server.Run();
  return 0;
}

}  // namespace mcpx
