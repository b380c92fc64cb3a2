#include "observe/metrics.h"

#include <sstream>

namespace mcpx::observe {
namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(MethodId::kCount)> kMethodNames = {
    "initialize", "ping", "tools/list", "tools/call", "resources/list", "resources/read",
    "resources/templates/list", "resources/subscribe", "resources/unsubscribe", "prompts/list",
    "prompts/get", "completion/complete", "logging/setLevel", "server/discover", "subscriptions/listen", "other"};

constexpr std::array<std::string_view, static_cast<std::size_t>(Outcome::kCount)> kOutcomeNames = {
    "ok", "error", "cancelled"};

void Line(std::ostringstream& out, std::string_view name, std::string_view type,
          std::string_view help, auto value) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n'
      << name << ' ' << value << '\n';
}

}  // namespace

MethodId MethodIdOf(std::string_view method) {
  for (std::size_t i = 0; i + 1 < kMethodNames.size(); ++i) {
    if (kMethodNames[i] == method) return static_cast<MethodId>(i);
  }
  return MethodId::kOther;
}

std::string_view MethodName(MethodId id) { return kMethodNames[static_cast<std::size_t>(id)]; }

std::string EscapeLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string_view LimitName(LimitKind kind) {
  static constexpr std::array<std::string_view, kLimitKinds> kNames = {
      "address", "connection_rate", "session", "session_bytes", "tool", "principal", "principal_bytes"};
  return kNames[kind];
}

std::string RenderPrometheus(const Metrics& m, const MetricsExtras& x) {
  std::ostringstream out;
  Line(out, "mcpx_sessions_active", "gauge", "Sessions in the directory.", x.sessions_active);
  Line(out, "mcpx_sessions_created_total", "counter", "Sessions created.", m.sessions_created.value());
  Line(out, "mcpx_sessions_expired_total", "counter", "Sessions closed for idleness.",
       m.sessions_expired.value());
  Line(out, "mcpx_sessions_closed_total", "counter", "Sessions closed for any reason.",
       m.sessions_closed.value());
  Line(out, "mcpx_sessions_rejected_total", "counter", "Sessions refused at the cap.",
       m.sessions_rejected.value());
  Line(out, "mcpx_requests_inflight", "gauge", "Requests running.", m.requests_inflight.value());
  Line(out, "mcpx_worker_queue_depth", "gauge", "Handlers waiting for a worker.",
       m.pool_queue_depth.value());
  Line(out, "mcpx_messages_dropped_total", "counter", "Messages dropped for slow or closed streams.",
       m.messages_dropped.value());
  Line(out, "mcpx_http_errors_total", "counter", "HTTP error responses sent by the transport.",
       m.http_errors.value());
  Line(out, "mcpx_http_connections", "gauge", "Open HTTP connections.", m.http_connections.value());
  Line(out, "mcpx_sse_streams", "gauge", "SSE responses being written.", m.sse_streams.value());
  Line(out, "mcpx_event_store_events", "gauge", "Events kept for Last-Event-ID resumption.",
       m.event_store_events.value());
  Line(out, "mcpx_sse_events_total", "counter", "SSE events sent or stored.", m.sse_events.value());
  Line(out, "mcpx_requests_overdue_total", "counter", "Requests found running past the watchdog deadline.",
       m.requests_overdue.value());
  Line(out, "mcpx_requests_timed_out_total", "counter", "Requests cancelled by a tool timeout or the watchdog.",
       m.requests_timed_out.value());
  Line(out, "mcpx_directory_contended_total", "counter",
       "Session-directory lookups that found their shard write-locked.", x.directory_contended);
  Line(out, "mcpx_buffered_bytes", "gauge",
       "Bytes held for clients (request bodies, requests in flight, queued stream output).",
       x.buffered_bytes);
  Line(out, "mcpx_buffer_budget_bytes", "gauge", "The limit of mcpx_buffered_bytes.", x.buffer_budget);
  Line(out, "mcpx_workers_busy", "gauge", "Workers running a handler.", m.workers_busy.value());
  Line(out, "mcpx_event_store_bytes", "gauge", "Bytes of the events kept for resumption.",
       m.event_store_bytes.value());
  Line(out, "mcpx_events_not_stored_total", "counter",
       "Events sent but not kept for resumption (larger than a store, or over the stores' budget).",
       m.events_not_stored.value());
  Line(out, "mcpx_lag_disconnects_total", "counter", "Streams closed because their client fell behind.",
       m.lag_disconnects.value());
  Line(out, "mcpx_overload_refusals_total", "counter", "Requests refused because the byte budget was spent.",
       m.overload_refusals.value());
  Line(out, "mcpx_offloaded_parses_total", "counter", "Large bodies parsed on a worker.",
       m.offloaded_parses.value());
  Line(out, "mcpx_accept_errors_total", "counter", "Failed accepts (file descriptors exhausted, ...).",
       m.accept_errors.value());
  Line(out, "mcpx_limit_refusals_total", "counter", "Requests refused for an over-long id, progress token or _meta.",
       m.limit_refusals.value());
  Line(out, "mcpx_subscribers", "gauge", "Sessions and listen streams holding at least one subscription.",
       m.subscribers.value());
  Line(out, "mcpx_listen_streams", "gauge", "Open subscriptions/listen streams.", m.listen_streams.value());
  Line(out, "mcpx_notifications_delivered_total", "counter", "Notifications handed to a subscriber's queue.",
       m.notifications_delivered.value());
  Line(out, "mcpx_notifications_dropped_total", "counter",
       "Subscribers the hub dropped because a delivery failed (a listen stream cut for lag leaves by its cancellation instead: mcpx_lag_disconnects_total).", m.notifications_dropped.value());
  Line(out, "mcpx_notifications_filtered_total", "counter", "Notifications withheld by the notify filter.",
       m.notifications_filtered.value());
  Line(out, "mcpx_stream_backlog_high_water", "gauge", "Most frames ever queued for one stream.",
       m.stream_backlog_high_water.value());
  Line(out, "mcpx_connections_refused_per_ip_total", "counter",
       "Connections closed at accept because their address already had max_connections_per_ip.",
       m.connections_refused_per_ip.value());
  out << "# HELP mcpx_rate_limited_total Requests (or connections) refused by a rate limit, by limit.\n"
         "# TYPE mcpx_rate_limited_total counter\n";
  for (std::size_t i = 0; i < kLimitKinds; ++i) {
    out << "mcpx_rate_limited_total{limit=\"" << LimitName(static_cast<LimitKind>(i)) << "\"} "
        << m.rate_limited[i].value() << '\n';
  }
  Line(out, "mcpx_session_principal_mismatches_total", "counter",
       "Requests naming a session bound to another principal, answered as for an unknown session.",
       m.principal_mismatches.value());
  Line(out, "mcpx_auth_refusals_total", "counter",
       "Requests refused by bearer authentication (no token, an invalid one, a scope every request needs, or no "
       "answer from the introspection endpoint).",
       m.auth_refusals.value());
  Line(out, "mcpx_auth_introspection_waits_total", "counter",
       "Requests whose token was not in the introspection cache and waited for the authorization server "
       "(concurrent ones with the same token share one call).",
       m.introspection_waits.value());
  Line(out, "mcpx_auth_introspection_unavailable_total", "counter",
       "Requests refused 503 because the introspection endpoint could not be asked or did not answer.",
       m.introspection_unavailable.value());
  Line(out, "mcpx_breaker_rejections_total", "counter",
       "Tool calls answered at once with an error result because the tool's circuit breaker was open.",
       m.breaker_rejections.value());
  Line(out, "mcpx_reputation_blocks_total", "counter", "Client addresses blocked by their reputation.",
       m.reputation_blocks.value());
  Line(out, "mcpx_reputation_refusals_total", "counter",
       "Connections closed at accept, or requests refused 403, because their address was blocked.",
       m.reputation_refusals.value());
  Line(out, "mcpx_tls_handshake_failures_total", "counter",
       "TLS connections closed because their handshake failed or did not finish within tls_handshake_timeout.",
       m.tls_handshake_failures.value());
  Line(out, "mcpx_scope_refusals_total", "counter",
       "Requests refused because the token lacked a scope the tool, prompt or resource needs.",
       m.scope_refusals.value());
  Line(out, "mcpx_listen_idle_ended_total", "counter",
       "Listen streams ended with their result after delivering nothing for listen_idle_timeout.",
       m.listen_idle_ended.value());
  Line(out, "mcpx_expiry_looked_total", "counter", "Sessions the expiry sweep looked at (due or relinked).",
       m.expiry_looked.value());
  Line(out, "mcpx_expiry_step_max_seconds", "gauge", "Longest single step of the expiry sweep on the I/O thread.",
       static_cast<double>(m.expiry_step_high_water_us.value()) / 1e6);
  out << "# HELP mcpx_requests_total JSON-RPC requests by method and outcome.\n"
         "# TYPE mcpx_requests_total counter\n";
  for (std::size_t i = 0; i < m.requests.size(); ++i) {
    for (std::size_t j = 0; j < m.requests[i].size(); ++j) {
      out << "mcpx_requests_total{method=\"" << kMethodNames[i] << "\",outcome=\""
          << kOutcomeNames[j] << "\"} " << m.requests[i][j].value() << '\n';
    }
  }
  std::string text = out.str();
  m.request_latency.Render("mcpx_request_duration_seconds", "Time from request receipt to response.", text);
  return text;
}

}  // namespace mcpx::observe
