// stdio transport (MCP basic/transports): newline-delimited JSON-RPC on an
// input and output file descriptor (stdin/stdout by default). Only protocol
// messages are written to the output; mcpx logs go to stderr.
//
// Thread safety: Run() blocks the calling thread reading input; output is
// written by a dedicated writer thread from a bounded queue.
#pragma once

#include <cstddef>
#include <memory>

namespace mcpx {

class Server;

struct StdioOptions {
  int input_fd = 0;
  int output_fd = 1;
  std::size_t max_line_bytes = 4 << 20;  // longer lines are answered with -32700
  // Output waiting for a slow reader of stdout; past either bound further
  // messages are dropped (and logged) until it catches up.
  std::size_t max_queued_messages = 65536;
  std::size_t max_queued_bytes = 64 << 20;
};

class StdioTransport {
 public:
  StdioTransport(Server& server, StdioOptions options = {});
  ~StdioTransport();
  StdioTransport(const StdioTransport&) = delete;
  StdioTransport& operator=(const StdioTransport&) = delete;

  // Serves until the input ends; then closes the session and flushes output.
  void Run();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpx
