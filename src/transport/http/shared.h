// What all connections of one HTTP transport share. Immutable after Listen(),
// apart from the atomic counter.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

#include "common/byte_budget.h"
#include "engine/port.h"
#include "guard/connection_counter.h"
#include "guard/ip_reputation.h"
#include "guard/rate_limiter.h"
#include "mcpx/http_transport.h"
#include "transport/http/bearer.h"
#include "transport/http/request_checks.h"
#include "transport/http/request_parser.h"
#include "transport/http/sse_stream.h"

namespace mcpx::transport::http {

struct HttpShared {
  HttpShared(engine::Port p, HttpOptions o, HostPolicy h)
      : port(std::move(p)),
        options(std::move(o)),
        policy(std::move(h)),
        store_budget(std::make_shared<ByteBudget>(options.event_store_total_bytes)),
        store_config(std::make_shared<const EventStoreConfig>(EventStoreConfig{
            {options.event_store_events, options.event_store_bytes}, &port.metrics(), store_budget})),
        limits{options.max_header_bytes, options.max_body_bytes, options.max_header_fields},
        ip_limiter(guard::RateLimit{options.ip_rate, options.ip_burst}, options.max_rate_keys),
        connect_limiter(guard::RateLimit{options.ip_connection_rate, options.ip_connection_burst},
                        options.max_rate_keys),
        reputation(guard::ReputationOptions{.threshold = options.reputation_threshold,
                                            .cooldown_us = options.reputation_cooldown.count() * 1'000'000,
                                            .max_keys = options.max_rate_keys}),
        setup([this](engine::Session& session) {
          // A new session's streams and event store (held by the session,
          // which may outlive the transport: hence the shared config). Made
          // on first use; the state is also the standalone channel, which
          // makes them when the engine first sends on it.
          auto state = std::make_shared<HttpSessionState>(store_config);
          session.set_standalone(state);
          session.set_transport(std::move(state));
        }) {}
  HttpShared(const HttpShared&) = delete;
  HttpShared& operator=(const HttpShared&) = delete;

  // Drops the guards' entries that hold nothing any more (engine
  // maintenance).
  // An offense by `peer`: a security event, and a mark against its
  // reputation (which may block it).
  void Offend(std::string_view peer, guard::Offense offense, guard::SecurityEventKind kind,
              std::string_view detail = {}) {
    port.RecordSecurity(kind, peer, detail);
    if (peer.empty() || !reputation.enabled()) return;
    if (reputation.Record(peer, offense, port.NowMs() * 1000)) {
      port.metrics().reputation_blocks.Add();
      port.RecordSecurity(guard::SecurityEventKind::kReputationBlocked, peer, guard::Name(offense));
    }
  }
  // Microseconds `peer` stays refused; 0 when it is not (one relaxed load
  // while nobody is blocked).
  std::int64_t BlockedFor(std::string_view peer) {
    if (peer.empty() || !reputation.enabled()) return 0;
    const std::int64_t now_us = port.NowMs() * 1000;
    if (!reputation.AnyBlocked(now_us)) return 0;
    return reputation.BlockedFor(peer, now_us);
  }

  void SweepGuards(std::int64_t now_ms) {
    ip_limiter.Sweep(now_ms * 1000);
    if (bearer) bearer->Maintain(port.WallMs() / 1000);
    connect_limiter.Sweep(now_ms * 1000);
    reputation.Sweep(now_ms * 1000);
  }

  engine::Port port;
  const HttpOptions options;
  const HostPolicy policy;
  // All sessions' event stores together.
  const std::shared_ptr<ByteBudget> store_budget;
  // What each session's event store is made of (limits, metrics, budget).
  const std::shared_ptr<const EventStoreConfig> store_config;
  const RequestLimits limits;
  // ServerOptions::ip_rate per client address (disabled at 0).
  guard::RateLimiter ip_limiter;
  // HttpOptions::ip_connection_rate per client address (disabled at 0).
  guard::RateLimiter connect_limiter;
  // HttpOptions::reputation_threshold per client address (disabled at 0).
  guard::IpReputation reputation;
  // HttpOptions::auth; null without it. Made by Listen (it needs the port).
  std::unique_ptr<BearerGate> bearer;
  // Open connections per client address (HttpOptions::max_connections_per_ip).
  guard::ConnectionCounter connections_by_ip;
  const engine::SessionSetup setup;
  std::atomic<std::size_t> connections{0};
  bool loopback_bind = true;  // set by Listen, before the first connection
};

// The state this transport attached to `session` at initialize. Sessions
// admitted by a transport's Port are its own (Port refuses another
// transport's), so the state is always an HttpSessionState.
inline HttpSessionState& StateOf(const engine::Session& session) {
  return *static_cast<HttpSessionState*>(session.transport());
}

}  // namespace mcpx::transport::http
