// The stdio transport over pipes: one JSON-RPC message per line in and out,
// nothing else on the output.
#include "mcpx/stdio_transport.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "mcpx/server.h"

namespace mcpx {
namespace {

class Pipes {
 public:
  Pipes() {
    EXPECT_EQ(pipe(in_), 0);
    EXPECT_EQ(pipe(out_), 0);
  }
  ~Pipes() {
    for (int fd : {in_[0], in_[1], out_[0], out_[1]}) if (fd >= 0) close(fd);
  }
  void Write(const std::string& s) { ASSERT_EQ(write(in_[1], s.data(), s.size()), static_cast<ssize_t>(s.size())); }
  void CloseInput() { close(in_[1]); in_[1] = -1; }
  // Reads until `lines` complete lines arrived (or EOF).
  std::vector<std::string> ReadLines(std::size_t lines) {
    std::vector<std::string> out;
    while (out.size() < lines) {
      auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        out.push_back(buf_.substr(0, nl));
        buf_.erase(0, nl + 1);
        continue;
      }
      char tmp[4096];
      ssize_t n = read(out_[0], tmp, sizeof tmp);
      if (n <= 0) break;
      buf_.append(tmp, static_cast<std::size_t>(n));
    }
    return out;
  }
  int server_in() const { return in_[0]; }
  int server_out() const { return out_[1]; }

 private:
  int in_[2] = {-1, -1};
  int out_[2] = {-1, -1};
  std::string buf_;
};

TEST(StdioTransport, ServesOneSessionLineByLine) {
  Server server({.worker_threads = 2});
  server.AddTool({.name = "echo", .handler = [](Context& ctx, const json::object& a) {
                    ctx.Log(LogLevel::kInfo, "echoing");
                    return ToolResult::Text(a.at("text").as_string());
                  }});
  server.Start();
  Pipes pipes;
  StdioTransport transport(server, {.input_fd = pipes.server_in(), .output_fd = pipes.server_out()});
  std::thread runner([&] { transport.Run(); });

  pipes.Write(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"p","version":"1"}}})" "\n");
  auto init = pipes.ReadLines(1);
  ASSERT_EQ(init.size(), 1u);
  EXPECT_EQ(json::parse(init[0]).at("result").at("protocolVersion"), "2025-06-18");
  EXPECT_EQ(server.session_count(), 1u);

  pipes.Write(R"({"jsonrpc":"2.0","method":"notifications/initialized"})" "\n");
  pipes.Write("this is not json\n");
  pipes.Write(R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x"}}})" "\n");
  auto lines = pipes.ReadLines(3);  // parse error, log notification, result
  ASSERT_EQ(lines.size(), 3u);
  for (const auto& l : lines) EXPECT_NO_THROW(json::parse(l)) << l;  // only JSON-RPC on the output
  EXPECT_EQ(json::parse(lines[0]).at("error").at("code"), -32700);
  EXPECT_EQ(json::parse(lines[1]).at("method"), "notifications/message");
  EXPECT_EQ(json::parse(lines[2]).at("result").at("content").at(0).at("text"), "x");

  pipes.CloseInput();
  runner.join();
  EXPECT_EQ(server.session_count(), 0u);  // the session ends with its input
  server.Stop();
}

}  // namespace
}  // namespace mcpx
