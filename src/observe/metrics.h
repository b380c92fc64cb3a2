// Process counters. Every update is one relaxed atomic add: no lock on any
// request path. Rendering reads the atomics; values may be mutually a few
// increments apart, which Prometheus tolerates.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "observe/histogram.h"

namespace mcpx::observe {

class Counter {
 public:
  void Add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void Add(std::int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }
  bool CompareExchange(std::int64_t& expected, std::int64_t desired) {
    return value_.compare_exchange_weak(expected, desired, std::memory_order_relaxed);
  }

 private:
  std::atomic<std::int64_t> value_{0};
};

// The methods counted individually; anything else is "other".
enum class MethodId : std::uint8_t {
  kInitialize, kPing, kToolsList, kToolsCall, kResourcesList, kResourcesRead,
  kResourcesTemplatesList, kResourcesSubscribe, kResourcesUnsubscribe, kPromptsList,
  kPromptsGet, kCompletionComplete, kLoggingSetLevel, kServerDiscover, kSubscriptionsListen, kOther, kCount
};
MethodId MethodIdOf(std::string_view method);
std::string_view MethodName(MethodId id);

enum class Outcome : std::uint8_t { kOk, kError, kCancelled, kCount };

// The rate limits, as mcpx_rate_limited_total{limit=...} names them.
enum LimitKind : std::size_t {
  kLimitAddress,         // requests per client address (HttpOptions::ip_rate)
  kLimitConnectionRate,  // new connections per client address
  kLimitSession,         // requests per session (ServerOptions::session_rate)
  kLimitSessionBytes,    // bytes per session (ServerOptions::session_bytes_rate)
  kLimitTool,            // calls per tool (Tool::rate)
  kLimitPrincipal,       // stateless requests per principal (ServerOptions::session_rate)
  kLimitPrincipalBytes,  // stateless bytes per principal (ServerOptions::session_bytes_rate)
  kLimitKinds
};
std::string_view LimitName(LimitKind kind);

// A Prometheus label value with \, " and newlines escaped.
std::string EscapeLabel(std::string_view value);

struct Metrics {
  Counter sessions_created;
  Counter sessions_expired;
  Counter sessions_closed;
  Counter sessions_rejected;  // refused at the cap
  Gauge requests_inflight;
  Gauge pool_queue_depth;
  Gauge workers_busy;         // workers running a handler
  Counter messages_dropped;   // slow or vanished streams
  Counter http_errors;        // 4xx/5xx answered by the transport
  Gauge http_connections;     // open HTTP connections
  Gauge sse_streams;          // SSE responses being written
  Gauge event_store_events;   // events kept for resumption, all sessions
  Counter sse_events;         // SSE events sent or stored
  Counter requests_overdue;   // requests the watchdog found past its deadline
  Counter requests_timed_out; // requests cancelled by a timeout or the watchdog
  Gauge event_store_bytes;    // bytes of the events kept for resumption
  Counter events_not_stored;  // events larger than a store's bound, or refused by its budget
  Counter lag_disconnects;    // streams closed because their client fell behind
  Counter overload_refusals;  // requests refused because the byte budget was spent
  Counter offloaded_parses;   // large bodies parsed on a worker instead of the I/O thread
  Counter accept_errors;      // failed accepts (each followed by a back-off on fd exhaustion)
  std::array<Counter, kLimitKinds> rate_limited;  // requests refused with 429, by the limit they hit
  Counter connections_refused_per_ip;  // connections closed at accept: their address had max_connections_per_ip
  Counter principal_mismatches;  // a session presented by a principal other than its own (answered as unknown)
  Counter scope_refusals;        // requests refused for want of a scope (403 insufficient_scope)
  Counter auth_refusals;         // requests refused 401/403 by bearer authentication
  Counter introspection_waits;   // requests whose token was not cached: they waited for introspection
  Counter introspection_unavailable;  // of those, refused 503: the introspection endpoint did not answer
  Counter breaker_rejections;    // tool calls answered at once by an open circuit breaker
  Counter reputation_blocks;     // addresses blocked by their reputation (each block once)
  Counter reputation_refusals;   // connections and requests refused while their address was blocked
  Counter tls_handshake_failures;  // TLS connections that failed or never finished their handshake
  Counter limit_refusals;     // requests refused for an over-long id, token or _meta
  // Fan-out (engine/fanout).
  Gauge subscribers;          // sessions and listen streams with at least one subscription
  Gauge listen_streams;       // open 2026-07-28 subscriptions/listen streams
  Counter notifications_delivered;  // notifications handed to a subscriber's queue
  Counter notifications_dropped;    // subscribers dropped because delivery failed
  Counter notifications_filtered;   // withheld by ServerOptions::notify_filter
  Gauge stream_backlog_high_water;  // most frames ever queued for one stream
  Counter listen_idle_ended;        // listen streams ended for delivering nothing past listen_idle_timeout
  void NoteBacklog(std::int64_t frames) {
    std::int64_t seen = stream_backlog_high_water.value();
    while (frames > seen && !stream_backlog_high_water.CompareExchange(seen, frames)) {
    }
  }
  // Expiry (engine/expiry_wheel): sessions looked at, and the longest step
  // one sweep took on the I/O thread (microseconds).
  Counter expiry_looked;
  Gauge expiry_step_high_water_us;
  void NoteExpiryStep(std::int64_t us) {
    std::int64_t seen = expiry_step_high_water_us.value();
    while (us > seen && !expiry_step_high_water_us.CompareExchange(seen, us)) {
    }
  }
  LatencyHistogram request_latency;
  std::array<std::array<Counter, static_cast<std::size_t>(Outcome::kCount)>,
             static_cast<std::size_t>(MethodId::kCount)>
      requests;

  void CountRequest(MethodId method, Outcome outcome) {
    requests[static_cast<std::size_t>(method)][static_cast<std::size_t>(outcome)].Add();
  }
};

// Values kept elsewhere than in Metrics.
struct MetricsExtras {
  std::size_t sessions_active = 0;
  std::uint64_t directory_contended = 0;
  std::size_t buffered_bytes = 0;  // the byte budget's use
  std::size_t buffer_budget = 0;   // and its limit
};

// Prometheus text exposition of `m` plus the extras.
std::string RenderPrometheus(const Metrics& m, const MetricsExtras& extras);

}  // namespace mcpx::observe
