// SIGTERM to a loaded mcpxd (issue 8): the listener closes, running requests
// finish within the drain time or are answered "shutting down", standalone
// streams end, later clients are refused cleanly, and the process exits 0.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/http_client.h"
#include "support/mcp_http.h"

extern char** environ;

namespace mcpx {
namespace {

using testing::HttpClient;
using testing::McpHeaders;
using namespace std::chrono_literals;

struct Daemon {
  pid_t pid = -1;
  unsigned short port = 0;
};

// Starts mcpxd on a free port; returns once it announced the port.
Daemon Spawn(const std::vector<std::string>& extra) {
  int err[2];
  EXPECT_EQ(pipe(err), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawn_file_actions_addclose(&actions, err[0]);
  std::vector<std::string> args = {MCPXD_PATH, "--port", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  Daemon d;
  EXPECT_EQ(posix_spawn(&d.pid, MCPXD_PATH, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(err[1]);
  std::string text;
  char buf[512];
  const std::string marker = "listening on http://127.0.0.1:";
  while (text.find("/mcp\n", text.find(marker) == std::string::npos ? text.size() : text.find(marker)) ==
         std::string::npos) {
    const ssize_t n = read(err[0], buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  const auto at = text.find(marker);
  EXPECT_NE(at, std::string::npos) << text;
  if (at != std::string::npos) d.port = static_cast<unsigned short>(std::stoi(text.substr(at + marker.size())));
  // Keep draining stderr so that the daemon never blocks on a full pipe.
  std::thread([fd = err[0]] {
    char sink[512];
    while (read(fd, sink, sizeof sink) > 0) {
    }
    close(fd);
  }).detach();
  return d;
}

std::string Sleep(int id, int ms) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
         R"(,"method":"tools/call","params":{"name":"sleep","arguments":{"ms":)" + std::to_string(ms) + "}}}";
}

TEST(Shutdown, SigtermDrainsAnswersEveryRequestAndExitsZero) {
  Daemon d = Spawn({"--drain-ms", "1000"});
  ASSERT_GT(d.port, 0);
  HttpClient setup(d.port);
  const std::string sid = testing::InitializeSession(setup);

  // A standalone stream, and 16 requests in flight: 8 that finish within the
  // drain time, 8 that cannot.
  HttpClient stream(d.port);
  auto get = McpHeaders(sid);
  get["Accept"] = "text/event-stream";
  stream.SendRaw(HttpClient::Build("GET", "/mcp", "", get));
  ASSERT_NE(stream.ReadUntil("\n\n", 5s).find("200 OK"), std::string::npos);
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int i = 0; i < 16; ++i) {
    clients.push_back(std::make_unique<HttpClient>(d.port));
    clients.back()->SendRaw(HttpClient::Build("POST", "/mcp", Sleep(100 + i, i < 8 ? 500 : 5000), McpHeaders(sid)));
  }
  for (int i = 0; i < 500 && testing::ScrapeMetric(d.port, "mcpx_requests_inflight") < 16; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(testing::ScrapeMetric(d.port, "mcpx_requests_inflight"), 16);
  const auto sent = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(d.pid, SIGTERM), 0);

  // Later clients: refused with an answer, or not let in at all.
  int refused = 0, answered_late = 0;
  for (int i = 0; i < 20; ++i) {
    try {
      HttpClient late(d.port);
      auto r = late.Request("POST", "/mcp", Sleep(500 + i, 1), McpHeaders(sid));
      const json::value body = r.json();
      if (r.status == 503 || (r.status == 200 && body.as_object().contains("error") &&
                              body.at("error").at("code") == -32000)) {
        ++refused;
      } else {
        ++answered_late;  // accepted just before the listener closed: fine too
      }
    } catch (const std::exception&) {
      ++refused;  // connection refused (listener closed) or reset by the kernel before accept
    }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(refused + answered_late, 20);

  // Every request in flight got an answer: a result or "shutting down".
  int results = 0, shutting_down = 0;
  for (auto& c : clients) {
    auto r = c->Read();  // throws if the connection closed without an answer
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("connection"), "close");
    const json::value body = r.json();
    const auto& msg = body.as_object();
    if (msg.contains("result")) {
      ++results;
    } else {
      EXPECT_EQ(msg.at("error").at("code"), -32000) << r.body;
      EXPECT_EQ(msg.at("error").at("message"), "Server shutting down");
      ++shutting_down;
    }
  }
  EXPECT_EQ(results, 8);
  EXPECT_EQ(shutting_down, 8);
  // The standalone stream was ended (the chunked terminator), not cut.
  EXPECT_NE(stream.ReadUntil("0\r\n\r\n", 5s).find("0\r\n\r\n"), std::string::npos);

  int status = 0;
  ASSERT_EQ(waitpid(d.pid, &status, 0), d.pid);
  const auto took = std::chrono::steady_clock::now() - sent;
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_GE(took, 900ms);  // the drain time was given
  EXPECT_LT(took, 10s);    // and not the 5 s requests' whole time
}

TEST(Shutdown, SighupWithoutTlsLeavesTheServerRunning) {
  Daemon d = Spawn({});
  ASSERT_GT(d.port, 0);
  ASSERT_EQ(kill(d.pid, SIGHUP), 0);  // nothing to reload: said, and ignored
  HttpClient c(d.port);
  testing::InitializeSession(c);  // still serving after the signal was taken
  ASSERT_EQ(kill(d.pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(d.pid, &status, 0), d.pid);
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace mcpx
