// The main() of a small server: serve over the transport its command line
// names.
//
//   int main(int argc, char** argv) {
//     mcpx::Server server({.name = "weather"});
//     server.AddTool(...);
//     return mcpx::ServeMain(server, argc, argv);
//   }
//
//   ./weather                 stdio: an MCP client starts the program
//   ./weather --http 8080     Streamable HTTP on http://127.0.0.1:8080/mcp
//
// For anything more (TLS, authentication, guards, another address) use
// HttpTransport and StdioTransport directly, as mcpxd does.
#pragma once

#include "mcpx/server.h"

namespace mcpx {

// Serves `server` (not yet started) as the command line asks: over stdio
// until the input ends, or with `--http PORT` over HTTP on 127.0.0.1 until the
// process is stopped (PORT 0: any free port; the address is printed on
// stderr either way). Returns the process's exit code: 0, or 2 with the
// usage on stderr for arguments it does not understand.
int ServeMain(Server& server, int argc, char** argv);

}  // namespace mcpx
