// HTTP request bytes through the real connection code to MCP dispatch, in
// process: each input is written into one end of a socketpair whose other end
// the transport serves as an accepted connection (AdoptConnection); the input
// is half-closed, and the answer is read until the server closes.
//
// - "@SID@" anywhere in the input is replaced by the id of a live, initialized
//   session the harness keeps (so inputs reach tools/call, GET streams,
//   resumption, DELETE); it is recreated when an input deleted it or it expired.
// - Inputs whose first line names "/sse" go to a second transport at path
//   /sse that answers every POST with an SSE stream (json_responses = false).
// - The input is half-closed once the server has read it and the engine has
//   settled (idle twice in a row, at most 300 ms): the server takes a
//   half-close for the client going away and would drop asynchronous answers.
// - A connection that has not reached EOF 3 s after it was opened is a hang
//   (abort), except that the harness session may legitimately hold an SSE
//   stream open: then the session is closed, which must end it within 2 s.
// - Whatever the server writes is an HTTP/1.1 response.
// FUZZ_HTTP_VERBOSE=1 prints each answer (to replay an input by hand).
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/asio/post.hpp>

#include "engine/engine.h"
#include "engine/server_access.h"
#include "mcpx/error.h"
#include "mcpx/http_transport.h"
#include "mcpx/server.h"
#include "transport/http/adopt.h"

namespace {

using namespace std::chrono_literals;
namespace json = mcpx::json;

constexpr std::string_view kSidToken = "@SID@";
constexpr std::size_t kKeptResponseBytes = 64 << 10;

std::string StringArg(const json::object& args, std::string_view key) {
  const auto* v = args.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

double NumberArg(const json::object& args, std::string_view key) {
  const auto* v = args.if_contains(key);
  return v && v->is_number() ? v->to_number<double>() : 0.0;
}

void RegisterCatalog(mcpx::Server& server) {
  using mcpx::Context;
  using mcpx::ToolResult;
  server.AddTool({
      .name = "echo",
      .input_schema = json::parse(R"({"type":"object","properties":{"text":{"type":"string"}},
          "required":["text"]})").as_object(),
      .execution = mcpx::Execution::kInline,
      .handler = [](Context&, const json::object& args) { return ToolResult::Text(StringArg(args, "text")); },
  });
  server.AddTool({
      .name = "add",
      .input_schema = json::parse(R"({"type":"object","properties":{"a":{"type":"number"},
          "b":{"type":"number"}},"required":["a","b"]})").as_object(),
      .output_schema = json::parse(R"({"type":"object","properties":{"sum":{"type":"number"}}})").as_object(),
      .handler = [](Context& ctx, const json::object& args) {
        const double sum = NumberArg(args, "a") + NumberArg(args, "b");
        ctx.Progress(1, 2, "adding");
        ctx.Log(mcpx::LogLevel::kInfo, json::value("adding"), "add");
        ToolResult r = ToolResult::Text(json::serialize(json::value(sum)));
        r.structured_content = json::object{{"sum", sum}};
        return r;
      },
  });
  server.AddTool({
      .name = "sleep",
      .input_schema = json::parse(R"({"type":"object","properties":{"ms":{"type":"integer"}}})").as_object(),
      .handler = [](Context ctx, const json::object& args, mcpx::Reply<ToolResult> reply) {
        const auto ms = static_cast<int>(std::clamp(NumberArg(args, "ms"), 0.0, 20.0));
        ctx.After(std::chrono::milliseconds(ms), [ctx, reply] {
          if (ctx.cancelled()) return reply.Fail(mcpx::ErrorCode::kRequestCancelled, "cancelled");
          reply(ToolResult::Text("slept"));
        });
      },
  });
  server.AddTool({
      .name = "fail",
      .input_schema = json::parse(R"({"type":"object","properties":{"how":{"type":"string"}}})").as_object(),
      .handler = [](Context&, const json::object& args) -> ToolResult {
        const std::string how = StringArg(args, "how");
        if (how == "error") throw mcpx::Error(mcpx::ErrorCode::kInvalidParams, "bad how", json::value(how));
        if (how == "result") return ToolResult::ErrorText("failed");
        throw std::runtime_error("thrown");
      },
  });
  server.AddTool({
      .name = "notify",
      .execution = mcpx::Execution::kInline,
      .handler = [](Context& ctx, const json::object&) {
        ctx.Notify("notifications/message", json::object{{"level", "info"}, {"data", "note"}});
        return ToolResult::Text("notified");
      },
  });
  server.AddTool({
      .name = "ask",
      .handler = [](Context ctx, const json::object&, mcpx::Reply<ToolResult> reply) {
        ctx.RequestClient(
            "roots/list", json::object{},
            [reply](mcpx::ClientResponse r) {
              reply(r.ok ? ToolResult::Text(json::serialize(r.result)) : ToolResult::ErrorText(r.error_message));
            },
            20ms);
      },
  });
  server.AddTool({
      .name = "nested",
      .handler = [](Context& ctx, const json::object&) {
        return ctx.server().CallTool(ctx, "echo", json::object{{"text", "inner"}});
      },
  });
  server.AddResource({
      .uri = "mem://hello",
      .name = "hello",
      .mime_type = "text/plain",
      .read = [](Context&, const std::string& uri) {
        return std::vector<mcpx::ResourceContents>{{.uri = uri, .mime_type = "text/plain", .text = std::string("hello")}};
      },
  });
  server.AddResourceTemplate({
      .uri_template = "mem://items/{id}",
      .name = "item",
      .read = [](Context& ctx, const std::string& uri) {
        return std::vector<mcpx::ResourceContents>{
            {.uri = uri, .mime_type = "text/plain", .text = "item " + ctx.template_vars().at("id")}};
      },
  });
  server.AddPrompt({
      .name = "greet",
      .arguments = {{"name", "who", true}},
      .handler = [](Context&, const json::object& args) {
        mcpx::PromptResult r;
        r.description = "greeting";
        r.messages.push_back(json::object{{"role", "user"},
                                          {"content", mcpx::TextContent("Hello " + StringArg(args, "name"))}});
        return r;
      },
  });
  server.SetCompletionHandler([](Context&, const mcpx::CompletionRequest& req) {
    mcpx::CompletionResult r;
    for (const char* s : {"alice", "bob"}) {
      if (std::string_view(s).starts_with(req.argument_value)) r.values.emplace_back(s);
    }
    return r;
  });
}

struct Harness {
  Harness()
      : server({.name = "fuzz",
                .io_threads = 1,
                .worker_threads = 2,
                .worker_priority = mcpx::ServerOptions::WorkerPriority::kNormal,
                .session_idle_timeout = 2s,
                .init_timeout = 500ms,
                .max_sessions = 256,
                .page_size = 2,
                .client_request_timeout = 20ms,
                .tool_timeout = 1s}),
        json_http(server, Options("/mcp", true)),
        sse_http(server, Options("/sse", false)) {
    RegisterCatalog(server);
    json_http.Listen();
    sse_http.Listen();
    server.Start();
  }

  static mcpx::HttpOptions Options(std::string path, bool json_responses) {
    return {.host = "127.0.0.1",
            .port = 0,
            .path = std::move(path),
            .json_responses = json_responses,
            .keepalive_interval = 200ms,
            .event_store_events = 64,
            .event_store_bytes = 64 << 10};
  }

  mcpx::Server server;
  mcpx::HttpTransport json_http;
  mcpx::HttpTransport sse_http;
  std::string sid;  // the harness session; empty when it could not be made
};

Harness* g_harness = nullptr;
bool g_verbose = false;

void Shutdown() {
  g_harness->json_http.Close();
  g_harness->sse_http.Close();
  g_harness->server.Stop();
}

[[noreturn]] void Hang(std::string_view input, const std::string& response, const char* what) {
  std::fprintf(stderr, "fuzz_http: %s (input %zu bytes, %zu response bytes)\n--- input ---\n%.*s\n--- response ---\n%.*s\n",
               what, input.size(), response.size(), static_cast<int>(std::min<std::size_t>(input.size(), 2000)),
               input.data(), static_cast<int>(std::min<std::size_t>(response.size(), 2000)), response.data());
  std::abort();
}

// True once the engine has nothing left to do: the I/O thread has run what
// was queued before this call (barrier), and no request is in flight and no
// pool task is queued or running.
bool EngineIdle() {
  mcpx::engine::Engine& engine = mcpx::engine::ServerAccess::EngineOf(g_harness->server);
  std::promise<void> ran;
  std::future<void> done = ran.get_future();
  boost::asio::post(engine.io(), [&ran] { ran.set_value(); });
  if (done.wait_for(5s) != std::future_status::ready) {
    std::fprintf(stderr, "fuzz_http: the I/O thread ran nothing for 5 s\n");
    std::abort();
  }
  const auto& m = engine.metrics();
  return m.requests_inflight.value() == 0 && m.pool_queue_depth.value() == 0 &&
         m.workers_busy.value() == 0;
}

// One client connection: writes `input` while reading the answer; once the
// server has read it all and the engine has settled (so that asynchronous
// answers are not cut short: the server takes a client's half-close for its
// going away), half-closes and reads until the server closes.
class Client {
 public:
  Client(mcpx::HttpTransport& transport, std::string_view input) : input_(input) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      std::perror("socketpair");
      std::abort();
    }
    mcpx::transport::http::AdoptConnection(transport, fds[0]);
    fd_ = fds[1];
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // True once the server has closed its side, false after `budget`.
  bool Run(std::chrono::milliseconds budget) {
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + budget;
    while (!eof_) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      if (!shut_ && written_ == input_.size() && Settled(now)) {
        ::shutdown(fd_, SHUT_WR);
        shut_ = true;
      }
      const bool writing = written_ < input_.size();
      // While settling, wake up often to look at the engine again.
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) + 1ms;
      if (!shut_ && !writing) wait = std::min<std::chrono::milliseconds>(wait, 1ms);
      pollfd p{fd_, static_cast<short>(POLLIN | (writing ? POLLOUT : 0)), 0};
      const int r = ::poll(&p, 1, static_cast<int>(wait.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        std::perror("poll");
        std::abort();
      }
      if (p.revents & (POLLIN | POLLHUP | POLLERR)) Receive();
      if (writing && (p.revents & POLLOUT)) {
        const std::size_t chunk = std::min<std::size_t>(input_.size() - written_, 256 << 10);
        const ssize_t n = ::send(fd_, input_.data() + written_, chunk, MSG_NOSIGNAL);
        if (n > 0) {
          written_ += static_cast<std::size_t>(n);
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
          written_ = input_.size();  // the server stopped reading and closed
        }
      }
    }
    return true;
  }

  const std::string& response() const { return response_; }
  std::size_t received() const { return received_; }

 private:
  void Receive() {
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) {
      eof_ = true;
    } else if (n > 0) {
      const std::size_t room = kKeptResponseBytes - std::min(kKeptResponseBytes, response_.size());
      response_.append(buf, std::min(static_cast<std::size_t>(n), room));
      received_ += static_cast<std::size_t>(n);
    } else if (errno != EAGAIN && errno != EINTR) {
      eof_ = true;  // reset: the server closed with our bytes unread
    }
  }

  // Whether to half-close now: the server has read every byte (or stopped
  // reading), and twice in a row the engine was idle and nothing new came.
  // Gives up waiting after kMaxSettle.
  bool Settled(std::chrono::steady_clock::time_point now) {
    if (settle_start_ == std::chrono::steady_clock::time_point()) settle_start_ = now;
    if (now - settle_start_ > kMaxSettle) return true;
    int unread = 0;
    if (::ioctl(fd_, SIOCOUTQ, &unread) == 0 && unread > 0) {
      // Not read yet; a server that stopped reading is not waited for long.
      if (unread != last_unread_) {
        last_unread_ = unread;
        unread_since_ = now;
      }
      return now - unread_since_ > 20ms;
    }
    const std::size_t before = received_;
    const bool idle = EngineIdle();
    idle_rounds_ = idle && received_ == before && received_ == received_at_last_check_ ? idle_rounds_ + 1 : 0;
    received_at_last_check_ = received_;
    return idle_rounds_ >= 2;
  }

  static constexpr std::chrono::milliseconds kMaxSettle{300};
  int fd_ = -1;
  std::string_view input_;
  std::size_t written_ = 0;
  bool shut_ = false;
  bool eof_ = false;
  std::chrono::steady_clock::time_point settle_start_{};
  std::chrono::steady_clock::time_point unread_since_{};
  int last_unread_ = -1;
  int idle_rounds_ = 0;
  std::size_t received_at_last_check_ = 0;
  std::string response_;  // the first kKeptResponseBytes
  std::size_t received_ = 0;
};

std::string Post(std::string_view extra_headers, std::string_view body) {
  return "POST /mcp HTTP/1.1\r\nHost: localhost\r\nAccept: application/json, text/event-stream\r\n"
         "Content-Type: application/json\r\n" +
         std::string(extra_headers) + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

// Makes sure g_harness->sid names a live, initialized session (or is empty
// when the server is at its session cap).
void EnsureSession() {
  Harness& h = *g_harness;
  if (!h.sid.empty() && mcpx::engine::ServerAccess::EngineOf(h.server).FindSession(h.sid)) return;
  h.sid.clear();
  const std::string init = Post(
      "", R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
          R"("capabilities":{"roots":{}},"clientInfo":{"name":"fuzz","version":"1"}}})");
  Client c(h.json_http, init);
  if (!c.Run(3s)) Hang(init, c.response(), "initialize did not complete");
  constexpr std::string_view kHeader = "Mcp-Session-Id: ";
  const std::string& r = c.response();
  const auto at = r.find(kHeader);
  if (at == std::string::npos) return;  // at the session cap: 503
  const auto end = r.find("\r\n", at);
  std::string sid = r.substr(at + kHeader.size(), end - at - kHeader.size());
  const std::string initialized =
      Post("Mcp-Session-Id: " + sid + "\r\n", R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  Client c2(h.json_http, initialized);
  if (!c2.Run(3s)) Hang(initialized, c2.response(), "notifications/initialized did not complete");
  h.sid = std::move(sid);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ::setenv("MCPX_LOG_LEVEL", "off", 0);
  g_verbose = std::getenv("FUZZ_HTTP_VERBOSE") != nullptr;
  std::signal(SIGPIPE, SIG_IGN);
  g_harness = new Harness();
  std::atexit(Shutdown);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Harness& h = *g_harness;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string substituted;
  bool uses_session = false;
  if (input.find(kSidToken) != std::string_view::npos) {
    EnsureSession();
    if (!h.sid.empty()) {
      uses_session = true;
      substituted.reserve(input.size() + 64);
      std::size_t from = 0;
      for (std::size_t at; (at = input.find(kSidToken, from)) != std::string_view::npos; from = at + kSidToken.size()) {
        substituted.append(input.substr(from, at - from)).append(h.sid);
      }
      substituted.append(input.substr(from));
      input = substituted;
    }
  }
  const std::string_view first_line = input.substr(0, input.find('\n'));
  mcpx::HttpTransport& transport = first_line.find("/sse") != std::string_view::npos ? h.sse_http : h.json_http;

  Client client(transport, input);
  if (!client.Run(3s)) {
    // Only a stream of the harness session may stay open (a GET, or one
    // resumed with Last-Event-ID, while more requests wait behind it).
    if (!uses_session) Hang(input, client.response(), "connection neither answered nor closed in 3 s");
    mcpx::engine::Engine& engine = mcpx::engine::ServerAccess::EngineOf(h.server);
    if (auto s = engine.FindSession(h.sid)) engine.CloseSession(s);
    if (!client.Run(2s)) Hang(input, client.response(), "connection still open 2 s after its session closed");
  }
  const std::string& r = client.response();
  if (g_verbose) std::fprintf(stderr, "--- answer (%zu bytes) ---\n%s\n", client.received(), r.c_str());
  if (!r.empty() && r.rfind("HTTP/1.1 ", 0) != 0) {
    std::fprintf(stderr, "fuzz_http: the server wrote something other than an HTTP/1.1 response\n%s\n",
                 r.substr(0, 2000).c_str());
    std::abort();
  }
  return 0;
}
