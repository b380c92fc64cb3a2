// A rate limit kept in one atomic word: GCRA (the generic cell rate
// algorithm), weighted: the one implementation behind every rate limit, those
// owned by one object (a session's requests/s and bytes/s, a tool's calls/s)
// and those kept per key in a KeyTable (RateLimiter's per-address limits,
// the engine's per-principal limits on stateless requests).
//
// A cell keeps the theoretical arrival time (TAT) of the next unit, in
// nanoseconds of the caller's monotonic clock. Taking `cost` units is
// admitted while the cell, after them, would be at most `burst` units ahead of
// now; a cost larger than the whole burst is admitted once the cell has
// refilled completely (so one large request is never refused forever), and
// leaves the cell in debt. Charge adds work already done (bytes sent) without
// asking: later Takes wait for it.
//
// Thread safety: GcraRate is immutable; GcraCell is safe for concurrent use
// (one compare-and-swap per Take).
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>

namespace mcpx::guard {

class GcraRate {
 public:
  GcraRate() = default;  // unlimited
  // `per_second` <= 0: unlimited. `burst` < 1: one second's worth (at least 1).
  GcraRate(double per_second, double burst) {
    if (per_second <= 0) return;
    interval_ns_ = std::max(1e-3, 1e9 / per_second);
    const double units = std::max(1.0, burst >= 1 ? burst : per_second);
    burst_ns_ = static_cast<std::int64_t>(std::llround(units * interval_ns_));
  }

  bool enabled() const { return interval_ns_ > 0; }
  // Nanoseconds that `cost` units take.
  std::int64_t CostNs(double cost) const { return static_cast<std::int64_t>(std::llround(cost * interval_ns_)); }
  std::int64_t burst_ns() const { return burst_ns_; }

 private:
  double interval_ns_ = 0;  // per unit
  std::int64_t burst_ns_ = 0;
};

class GcraCell {
 public:
  // 0 when `cost` units are admitted at `now_ns`; else nanoseconds until they
  // would be. An unlimited rate admits everything.
  std::int64_t Take(std::int64_t now_ns, const GcraRate& rate, double cost = 1) {
    if (!rate.enabled()) return 0;
    const std::int64_t cost_ns = rate.CostNs(cost);
    const std::int64_t ahead_allowed = std::max<std::int64_t>(0, rate.burst_ns() - cost_ns);
    std::int64_t tat = tat_ns_.load(std::memory_order_relaxed);
    for (;;) {
      const std::int64_t start = std::max(tat, now_ns);
      if (start - now_ns > ahead_allowed) return start - now_ns - ahead_allowed;
      if (tat_ns_.compare_exchange_weak(tat, start + cost_ns, std::memory_order_relaxed)) return 0;
    }
  }

  // Adds `cost` units unconditionally (work already done).
  void Charge(std::int64_t now_ns, const GcraRate& rate, double cost) {
    if (!rate.enabled()) return;
    const std::int64_t cost_ns = rate.CostNs(cost);
    std::int64_t tat = tat_ns_.load(std::memory_order_relaxed);
    while (!tat_ns_.compare_exchange_weak(tat, std::max(tat, now_ns) + cost_ns, std::memory_order_relaxed)) {
    }
  }

  // Refilled completely by `now_ns`: indistinguishable from a new cell.
  bool Full(std::int64_t now_ns) const { return tat_ns_.load(std::memory_order_relaxed) <= now_ns; }

 private:
  std::atomic<std::int64_t> tat_ns_{0};
};

}  // namespace mcpx::guard
