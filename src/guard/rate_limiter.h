// Rate limits by key (a client address, a session, a tool): a token bucket
// per key, each one atomic word, in a bounded table.
//
// The bucket is GCRA (the generic cell rate algorithm): it keeps the
// theoretical arrival time (TAT) of the next request. A request is admitted
// while TAT - now <= the burst tolerance ((burst - 1) emission intervals of
// 1/rate), and moves TAT one interval on; refused, it learns how long until
// it would be admitted (Retry-After). Admission is one compare-and-swap.
//
// The table is a KeyTable (guard/key_table.h): 16 shards of key -> bucket,
// each under its own mutex (shared for lookups, exclusive to add or drop
// keys). It holds at most `max_keys` keys: a key that does not fit is charged
// to its `coarse` key instead (an address's /24 or /64 prefix: rotating IPv6
// sources then share one bucket), and when that does not fit either, to one
// overflow bucket. A bucket that has refilled completely is the same as no
// bucket; Sweep drops those, and a full shard sweeps itself before it
// refuses a key.
//
// Thread safety: safe for concurrent use. Time is passed in (microseconds of
// any monotonic clock), so tests drive it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "guard/key_table.h"  // also declares AddressPrefix

namespace mcpx::guard {

struct RateLimit {
  double per_second = 0;  // <= 0: unlimited
  double burst = 0;       // requests admitted at once; < 1: per_second (at least 1)
};

// One key's bucket. Thread safety: safe for concurrent use (one atomic).
class RateBucket {
 public:
  // 0 when admitted; else microseconds until a request would be.
  std::int64_t Take(std::int64_t now_us, std::int64_t interval_us, std::int64_t tolerance_us);
  // Refilled completely by `now_us`: indistinguishable from a new bucket.
  bool Full(std::int64_t now_us) const { return tat_us_.load(std::memory_order_relaxed) <= now_us; }

 private:
  std::atomic<std::int64_t> tat_us_{0};
};

class RateLimiter {
 public:
  RateLimiter(RateLimit limit, std::size_t max_keys);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Charges one request to `key` (or, when the table has no room for it, to
  // the key `coarse()` names, then to the overflow bucket). 0 when admitted;
  // else microseconds until it would be. `coarse` runs only when needed.
  std::int64_t Admit(std::string_view key, absl::FunctionRef<std::string()> coarse, std::int64_t now_us);
  // Drops the buckets that have refilled; returns how many.
  std::size_t Sweep(std::int64_t now_us);

  std::size_t size() const { return table_.size(); }
  bool enabled() const { return interval_us_ > 0; }

 private:
  const std::int64_t interval_us_;   // 1/rate
  const std::int64_t tolerance_us_;  // (burst - 1) intervals
  KeyTable<RateBucket> table_;
};

}  // namespace mcpx::guard
