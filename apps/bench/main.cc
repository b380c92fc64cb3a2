// mcpx-bench-server: the server the load benchmarks drive (bench/load.sh).
// Tools: echo {text} (inline, no thread hop), sleep_ms {ms} (waits on a timer,
// holding no thread), spin_ms {ms} (burns CPU on a worker).
#include <chrono>
#include <iostream>

#include <CLI/CLI.hpp>

#include "common/auth_flags.h"
#include "common/guard_flags.h"
#include "common/ops_flags.h"
#include "common/serve.h"
#include "common/tls_flags.h"

namespace {

std::int64_t IntArg(const mcpx::json::object& args, std::string_view key) {
  const auto* v = args.if_contains(key);
  return v && v->is_number() ? v->to_number<std::int64_t>() : 0;
}

// `echo_schema`: echo's input schema (A/B runs of argument validation).
void Register(mcpx::Server& server, const std::string& echo_schema) {
  using mcpx::json::parse;
  server.AddTool({.name = "echo",
                  .description = "Returns the text.",
                  .input_schema = parse(echo_schema).as_object(),
                  .execution = mcpx::Execution::kInline,
                  .handler = [](mcpx::Context&, const mcpx::json::object& args) {
                    return mcpx::ToolResult::Text(args.at("text").as_string());
                  }});
  server.AddTool({.name = "sleep_ms",
                  .description = "Waits ms milliseconds (at most 60000) on a timer.",
                  .input_schema = parse(R"({"type":"object","properties":{"ms":{"type":"integer"}},"required":["ms"]})").as_object(),
                  .handler = [](mcpx::Context ctx, const mcpx::json::object& args,
                                      mcpx::Reply<mcpx::ToolResult> reply) {
                    const auto ms = std::clamp<std::int64_t>(IntArg(args, "ms"), 0, 60000);
                    ctx.After(std::chrono::milliseconds(ms), [reply] { reply(mcpx::ToolResult::Text("slept")); });
                  }});
  server.AddTool({.name = "spin_ms",
                  .description = "Burns CPU on a worker for ms milliseconds (at most 10000).",
                  .input_schema = parse(R"({"type":"object","properties":{"ms":{"type":"integer"}},"required":["ms"]})").as_object(),
                  .handler = [](mcpx::Context& ctx, const mcpx::json::object& args) {
                    const auto ms = std::clamp<std::int64_t>(IntArg(args, "ms"), 0, 10000);
                    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
                    std::uint64_t x = 0;
                    while (std::chrono::steady_clock::now() < end && !ctx.cancelled()) {
                      for (int i = 0; i < 1000; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                    }
                    return mcpx::ToolResult::Text(std::to_string(x & 1));
                  }});
  // F1 (bench/f1.sh): one resource many streams subscribe to, and a tool
  // that announces an update of any URI to its subscribers.
  server.AddResource({.uri = "bench://watched",
                      .name = "watched",
                      .description = "The resource the fan-out benchmark's streams subscribe to.",
                      .mime_type = "text/plain",
                      .read = [](mcpx::Context&, const std::string& uri) {
                        return std::vector<mcpx::ResourceContents>{
                            {.uri = uri, .mime_type = "text/plain", .text = std::string("watched")}};
                      }});
  server.AddTool({.name = "touch_resource",
                  .description = "Sends notifications/resources/updated for uri to its subscribers.",
                  .input_schema = parse(R"({"type":"object","properties":{"uri":{"type":"string"}},"required":["uri"]})").as_object(),
                  .execution = mcpx::Execution::kInline,
                  .handler = [](mcpx::Context& ctx, const mcpx::json::object& args) {
                    ctx.server().NotifyResourceUpdated(args.at("uri").as_string());
                    return mcpx::ToolResult::Text("touched");
                  }});
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mcpx-bench-server: tools for the load benchmarks"};
  mcpx::ServerOptions options{.name = "mcpx-bench-server"};
  mcpx::HttpOptions http;
  std::size_t idle_seconds = 1800;
  app.add_option("--host", http.host)->capture_default_str();
  app.add_option("--port", http.port)->capture_default_str();
  app.add_option("--workers", options.worker_threads, "Worker threads (0: one per core)");
  app.add_option("--io-threads", options.io_threads, "I/O threads (0: one)");
  app.add_option("--worker-nice", options.worker_nice, "Nice value of worker threads")->capture_default_str();
  std::string priority = "idle";
  app.add_option("--worker-priority", priority, "Worker scheduling: nice, idle (SCHED_IDLE) or normal")
      ->check(CLI::IsMember({"nice", "idle", "normal"}))
      ->capture_default_str();
  app.add_option("--max-sessions", options.max_sessions)->capture_default_str();
  std::string echo_schema = R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})";
  app.add_option("--echo-schema", echo_schema, "The echo tool's inputSchema (JSON)")->capture_default_str();
  app.add_option("--session-timeout-s", idle_seconds, "Idle session expiry")->capture_default_str();
  const auto guard_flags_parsed = mcpx::apps::AddGuardFlags(app, options, http);
  const auto tls_flags_parsed = mcpx::apps::AddTlsFlags(app, http);
  const auto ops_flags_parsed = mcpx::apps::AddOpsFlags(app, http);
  const auto auth_flags_parsed = mcpx::apps::AddAuthFlags(app, http);
  CLI11_PARSE(app, argc, argv);
  guard_flags_parsed();
  tls_flags_parsed();
  const std::optional<mcpx::HttpOptions> ops = ops_flags_parsed();
  auth_flags_parsed();
  using Priority = mcpx::ServerOptions::WorkerPriority;
  options.worker_priority = priority == "nice"     ? Priority::kNice
                            : priority == "normal" ? Priority::kNormal
                                                   : Priority::kIdle;
  options.session_idle_timeout = std::chrono::seconds(idle_seconds);
  options.init_timeout = std::min<std::chrono::milliseconds>(options.init_timeout, options.session_idle_timeout);

  mcpx::Server server(options);
  Register(server, echo_schema);
  return mcpx::apps::ServeHttp(server, http, std::chrono::seconds(5), {}, ops);
}
