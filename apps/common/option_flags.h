// A flag (and so a config-file key, common/config_file.h) for every
// ServerOptions field and HttpOptions limit that the other flag groups
// (guards, TLS, auth, ops) do not cover. Durations are in milliseconds
// (suffix -ms). Secrets come from the environment, never from flags:
// MCPX_REQUEST_STATE_KEYS (comma-separated, newest first).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>

#include "mcpx/http_transport.h"
#include "mcpx/server.h"

namespace mcpx::apps {

// `--name` in milliseconds, into `target`.
inline CLI::Option* AddMs(CLI::App& app, const std::string& name, std::chrono::milliseconds& target,
                          const std::string& help) {
  return app
      .add_option_function<std::int64_t>(
          name, [&target](std::int64_t ms) { target = std::chrono::milliseconds(ms); }, help)
      ->default_str(std::to_string(target.count()))
      ->check(CLI::Validator(
          [](std::string& value) {
            return !value.empty() && value.find_first_not_of("0123456789") == std::string::npos
                       ? std::string()
                       : "must be a whole number of milliseconds, 0 or more";
          },
          "MS"));
}

inline void AddServerFlags(CLI::App& app, ServerOptions& o) {
  app.add_option("--name", o.name, "Server name in serverInfo")->capture_default_str();
  app.add_option("--server-version", o.version, "Server version in serverInfo")->capture_default_str();
  app.add_option("--title", o.title, "Server title in serverInfo");
  app.add_option("--instructions", o.instructions, "Instructions for clients (initialize, server/discover)");
  app.add_option("--workers", o.worker_threads, "Worker threads (0: one per core)")->capture_default_str();
  app.add_option("--io-threads", o.io_threads, "I/O threads (0: one)")->capture_default_str();
  const std::map<std::string, ServerOptions::WorkerPriority> priorities{
      {"normal", ServerOptions::WorkerPriority::kNormal},
      {"nice", ServerOptions::WorkerPriority::kNice},
      {"idle", ServerOptions::WorkerPriority::kIdle}};
  app.add_option("--worker-priority", o.worker_priority, "Workers give way to I/O threads: idle, nice or normal")
      ->transform(CLI::CheckedTransformer(priorities, CLI::ignore_case))
      ->default_str("idle");
  app.add_option("--worker-nice", o.worker_nice, "Nice level of workers with --worker-priority nice")
      ->capture_default_str();
  AddMs(app, "--session-idle-timeout-ms", o.session_idle_timeout, "Sessions idle this long are closed");
  AddMs(app, "--init-timeout-ms", o.init_timeout, "Sessions never initialized are closed after this");
  app.add_option("--max-sessions", o.max_sessions, "Sessions at once; more are refused (503)")->capture_default_str();
  app.add_option("--max-inflight-per-session", o.max_inflight_per_session, "Requests one session may have running")
      ->capture_default_str();
  app.add_option("--session-burst", o.session_burst, "Burst of --session-rate (0: one second's worth)");
  app.add_option("--session-bytes-burst", o.session_bytes_burst, "Burst of --session-bytes-rate (0: one second's)");
  app.add_option("--max-rate-principals", o.max_rate_principals, "Principals the per-principal limits track")
      ->capture_default_str();
  app.add_option("--max-workers-per-session", o.max_workers_per_session,
                 "Workers one session's handlers may hold (0: a quarter of --workers)");
  app.add_option("--max-buffered-bytes", o.max_buffered_bytes, "Bytes held for clients, process-wide")
      ->capture_default_str();
  app.add_option("--max-meta-bytes", o.max_meta_bytes, "Largest _meta a request may carry")->capture_default_str();
  app.add_option("--max-progress-token-bytes", o.max_progress_token_bytes, "Largest progress token")
      ->capture_default_str();
  app.add_option("--max-subscriptions-per-session", o.max_subscriptions_per_session,
                 "Resource subscriptions per session or listen stream")
      ->capture_default_str();
  app.add_option("--max-listen-streams", o.max_listen_streams, "2026-07-28 listen streams at once")
      ->capture_default_str();
  app.add_option("--max-listen-streams-per-client", o.max_listen_streams_per_client,
                 "Listen streams at once from one client address")
      ->capture_default_str();
  AddMs(app, "--listen-idle-timeout-ms", o.listen_idle_timeout, "A listen stream idle this long ends (0: never)");
  app.add_option("--page-size", o.page_size, "Items per page of the list methods")->capture_default_str();
  AddMs(app, "--cache-ttl-ms", o.cache_ttl, "2026-07-28 ttlMs of list, read and discover results");
  app.add_flag("--cache-public", o.cache_public, "2026-07-28 cacheScope public instead of private");
  app.add_option("--result-server-info", o.result_server_info, "2026-07-28 results name the server in _meta")
      ->capture_default_str();
  app.add_option("--request-state-audience", o.request_state_audience,
                 "Audience of sealed requestState (nodes behind one balancer share it; default: --name)");
  AddMs(app, "--request-state-ttl-ms", o.request_state_ttl, "How long a round's requestState is good for");
  AddMs(app, "--client-request-timeout-ms", o.client_request_timeout, "Wait for a client's answer");
  AddMs(app, "--tool-timeout-ms", o.tool_timeout, "Tools running longer are cancelled (0: never)");
  AddMs(app, "--watchdog-deadline-ms", o.watchdog_deadline, "Requests running longer are reported (0: off)");
  app.add_flag("--watchdog-cancels", o.watchdog_cancels, "The watchdog also cancels them");
  app.add_flag("--expose-exception-messages", o.expose_exception_messages,
               "-32603 errors carry the handler exception's what()");
  app.add_flag("--check-structured-results", o.check_structured_results,
               "Check structuredContent against the tool's outputSchema (debugging)");
  app.add_option_function<double>(
      "--tool-breaker-failure-rate",
      [&o](double rate) {
        if (!o.tool_breaker) o.tool_breaker = BreakerPolicy{};
        o.tool_breaker->failure_rate = rate;
      },
      "Every tool gets a circuit breaker opening at this failure share (0: none)");
  if (const char* keys = std::getenv("MCPX_REQUEST_STATE_KEYS"); keys != nullptr) {
    std::stringstream list(keys);
    for (std::string key; std::getline(list, key, ',');) {
      if (!key.empty()) o.request_state_keys.push_back(key);
    }
  }
}

inline void AddHttpFlags(CLI::App& app, HttpOptions& h) {
  app.add_option("--host", h.host, "Address to bind")->capture_default_str();
  app.add_option("--port", h.port, "Port to bind (0: any free port)")->capture_default_str();
  app.add_option("--path", h.path, "The MCP endpoint's path")->capture_default_str();
  app.add_option("--max-body-bytes", h.max_body_bytes, "Largest request body (413)")->capture_default_str();
  app.add_option("--max-header-bytes", h.max_header_bytes, "Largest header section (431)")->capture_default_str();
  app.add_option("--max-header-fields", h.max_header_fields, "Most header fields (431)")->capture_default_str();
  app.add_option("--max-connections", h.max_connections, "Connections at once (0: from the descriptor limit)");
  app.add_option("--raise-fd-limit", h.raise_fd_limit, "Raise the descriptor soft limit at start")
      ->capture_default_str();
  app.add_option("--allowed-host", h.allowed_hosts, "Host header values accepted (repeat; default: loopback)");
  app.add_option("--allowed-origin", h.allowed_origins, "Origin header values accepted (repeat)");
  app.add_option("--json-responses", h.json_responses, "Answer single requests as JSON rather than SSE")
      ->capture_default_str();
  AddMs(app, "--read-timeout-ms", h.read_timeout, "One request, from its first byte");
  AddMs(app, "--idle-timeout-ms", h.idle_timeout, "Keep-alive wait");
  AddMs(app, "--write-timeout-ms", h.write_timeout, "A stalled write");
  AddMs(app, "--keepalive-interval-ms", h.keepalive_interval, "SSE comments on quiet streams");
  app.add_option("--sse-retry-ms", h.sse_retry_ms, "The retry: hint sent to clients")->capture_default_str();
  app.add_option("--max-stream-backlog", h.max_stream_backlog, "Frames queued per stream")->capture_default_str();
  app.add_option("--max-stream-backlog-bytes", h.max_stream_backlog_bytes, "Bytes queued per stream")
      ->capture_default_str();
  app.add_option("--event-store-events", h.event_store_events, "Events kept per stream for resumption")
      ->capture_default_str();
  app.add_option("--event-store-bytes", h.event_store_bytes, "Bytes kept per stream for resumption")
      ->capture_default_str();
  app.add_option("--event-store-total-bytes", h.event_store_total_bytes, "Bytes kept for resumption in all")
      ->capture_default_str();
  app.add_option("--serve-metrics", h.serve_metrics, "Serve /metrics and /healthz")->capture_default_str();
  app.add_option("--ip-burst", h.ip_burst, "Burst of --ip-rate (0: one second's worth)");
  app.add_option("--ip-connection-burst", h.ip_connection_burst, "Burst of --ip-connection-rate");
  app.add_option("--max-rate-keys", h.max_rate_keys, "Client addresses the per-address limits track")
      ->capture_default_str();
  AddMs(app, "--tls-handshake-timeout-ms", h.tls_handshake_timeout, "A TLS handshake's deadline");
}

}  // namespace mcpx::apps
