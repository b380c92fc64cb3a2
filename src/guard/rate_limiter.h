// Rate limits by key (a client address, a session, a tool): a GCRA cell per
// key (guard/gcra.h: one atomic word, the theoretical arrival time of the
// next request), in a bounded table.
//
// A request is admitted while the cell is at most (burst - 1) emission
// intervals of 1/rate ahead of now, and moves it one interval on; refused,
// it learns how long until it would be admitted (Retry-After). Admission is
// one compare-and-swap.
//
// The table is a KeyTable (guard/key_table.h): 16 shards of key -> cell,
// each under its own mutex (shared for lookups, exclusive to add or drop
// keys). It holds at most `max_keys` keys: a key that does not fit is charged
// to its `coarse` key instead (an address's /24 or /64 prefix: rotating IPv6
// sources then share one cell), and when that does not fit either, to one
// overflow cell. A cell that has refilled completely is the same as no
// cell; Sweep drops those, and a full shard sweeps itself before it
// refuses a key.
//
// Thread safety: safe for concurrent use. Time is passed in (microseconds of
// any monotonic clock), so tests drive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "guard/gcra.h"
#include "guard/key_table.h"  // also declares AddressPrefix

namespace mcpx::guard {

struct RateLimit {
  double per_second = 0;  // <= 0: unlimited
  double burst = 0;       // requests admitted at once; < 1: per_second (at least 1)
};

class RateLimiter {
 public:
  RateLimiter(RateLimit limit, std::size_t max_keys);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Charges one request to `key` (or, when the table has no room for it, to
  // the key `coarse()` names, then to the overflow cell). 0 when admitted;
  // else microseconds until it would be. `coarse` runs only when needed.
  std::int64_t Admit(std::string_view key, absl::FunctionRef<std::string()> coarse, std::int64_t now_us);
  // Drops the cells that have refilled; returns how many.
  std::size_t Sweep(std::int64_t now_us);

  std::size_t size() const { return table_.size(); }
  bool enabled() const { return rate_.enabled(); }

 private:
  const GcraRate rate_;  // cost 1 per request
  KeyTable<GcraCell> table_;
};

}  // namespace mcpx::guard
