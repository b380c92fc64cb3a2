// IP reputation: offenses (malformed requests, authentication failures,
// rejected origins, rate-limit hits, header timeouts ...) raise a decaying
// score per client address; when the score reaches the threshold, the address
// is refused for a cooldown, then released.
//
// The score is one atomic word, like GCRA: the time at which it will have
// decayed to zero (`zero_at`). score(now) = max(0, zero_at - now) * decay;
// an offense of weight w moves zero_at to max(zero_at, now) + w / decay (a
// compare-and-swap loop). When an offense leaves the score at or above the
// threshold and the address is not blocked, it sets the second word,
// `blocked_until = now + cooldown` (one compare-and-swap decides which
// offense started the block). The score saturates at `max_score`.
//
// The hot path is BlockedFor, asked for every accepted connection: one
// relaxed load of the latest `blocked_until` ever set answers "nothing is
// blocked" without touching the table.
//
// The table is a KeyTable (guard/key_table.h), at most `max_keys` addresses.
// When it is full, an offense is charged to the address's /24 or /64 prefix
// (AddressPrefix), and a blocked prefix refuses every address in it (also
// those with an entry of their own: they are the same network). When the
// prefix does not fit either, the offense goes to the overflow entry, which
// is counted but NEVER blocks: it stands for everyone, and a flood of
// offenses from unrelated addresses must not lock out all clients.
// An entry whose score has decayed to zero and whose block has expired is the
// same as no entry; Sweep drops those, and a full shard drops them itself.
//
// Example:
//   IpReputation reputation({.threshold = 100});
//   if (auto wait = reputation.BlockedFor(peer, now_us); wait > 0) refuse(wait);
//   ...
//   if (reputation.Record(peer, Offense::kAuthFailure, now_us)) monitor.Record(...);
//
// Thread safety: safe for concurrent use. Time is passed in (microseconds of
// any monotonic clock), so tests drive it.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "guard/key_table.h"

namespace mcpx::guard {

enum class Offense : std::uint8_t {
  kMalformedRequest,   // unparseable JSON-RPC, bad headers, oversized input
  kAuthFailure,        // missing or invalid credentials
  kOriginRejected,     // Origin/Host not allowed
  kRateLimited,        // a rate limit refused a request
  kHeaderTimeout,      // request head not complete in time (slow headers)
  kConnectionLimit,    // refused by the per-address connection cap
  kSessionMismatch,    // a session id used by another principal
};
inline constexpr std::size_t kOffenseKinds = 7;

// snake_case, for metric labels ("malformed_request", ...).
std::string_view Name(Offense offense);

// Points each offense adds to the score.
struct OffenseWeights {
  double malformed_request = 10;
  double auth_failure = 20;
  double origin_rejected = 20;
  double rate_limited = 2;
  double header_timeout = 10;
  double connection_limit = 2;
  double session_mismatch = 20;

  double of(Offense offense) const;
};

struct ReputationOptions {
  double threshold = 100;                  // score that starts a block; <= 0: disabled
  double decay_per_second = 1;             // points forgotten per second; <= 0: disabled
  double max_score = 1000;                 // the score saturates here (at least `threshold`)
  std::int64_t cooldown_us = 60'000'000;   // how long a block lasts
  std::size_t max_keys = 65536;            // addresses tracked (see the overview)
  OffenseWeights weights;

  bool enabled() const { return threshold > 0 && decay_per_second > 0; }
};

class IpReputation {
 public:
  explicit IpReputation(ReputationOptions options = {});
  IpReputation(const IpReputation&) = delete;
  IpReputation& operator=(const IpReputation&) = delete;

  // Microseconds of cooldown left for `address` (its own block or its
  // prefix's), 0 when it is not blocked. Hot path: while no block is in
  // force anywhere this is one relaxed atomic load. Counts a refusal when > 0.
  std::int64_t BlockedFor(std::string_view address, std::int64_t now_us);

  // Whether any block may be in force at `now_us`: BlockedFor's fast path,
  // one relaxed load (false: BlockedFor touches no table).
  bool AnyBlocked(std::int64_t now_us) const { return now_us < latest_block_end_us_.load(std::memory_order_relaxed); }

  // Charges `offense` to `address` (see the overview for a full table).
  // True when this offense started a block (only one of racing offenses does).
  bool Record(std::string_view address, Offense offense, std::int64_t now_us);

  // The score of `address` itself at `now_us` (0 when untracked), for
  // admin listings and tests.
  double Score(std::string_view address, std::int64_t now_us) const;

  // Drops the entries whose score is zero and whose block has expired;
  // returns how many.
  std::size_t Sweep(std::int64_t now_us);

  // Counters, for metrics (never a lock, except Blocked, which walks the
  // table). Offenses are counted even when reputation is disabled.
  std::uint64_t blocks() const { return blocks_.load(std::memory_order_relaxed); }
  std::uint64_t offenses(Offense offense) const {
    return offenses_[static_cast<std::size_t>(offense)].load(std::memory_order_relaxed);
  }
  std::uint64_t refusals() const { return refusals_.load(std::memory_order_relaxed); }
  // Offenses that reached only the overflow entry (so could block nobody).
  std::uint64_t overflow_offenses() const { return overflow_offenses_.load(std::memory_order_relaxed); }
  // Entries (addresses and prefixes) blocked at `now_us`.
  std::size_t Blocked(std::int64_t now_us) const;
  std::size_t size() const { return table_.size(); }
  bool enabled() const { return options_.enabled(); }
  const ReputationOptions& options() const { return options_; }

 private:
  // One address's (or prefix's) state. Thread safety: two atomics.
  struct Entry {
    std::atomic<std::int64_t> zero_at_us{0};        // the score is 0 from here on
    std::atomic<std::int64_t> blocked_until_us{0};  // refused before here
    bool Stale(std::int64_t now_us) const {
      return zero_at_us.load(std::memory_order_relaxed) <= now_us &&
             blocked_until_us.load(std::memory_order_relaxed) <= now_us;
    }
  };

  // Adds `weight_us` to the entry; true when that started a block.
  bool Charge(Entry& entry, std::int64_t weight_us, std::int64_t now_us);
  static std::int64_t LeftOf(const Entry& entry, std::int64_t now_us);
  static void RaiseTo(std::atomic<std::int64_t>& latest, std::int64_t value);

  const ReputationOptions options_;
  const double decay_per_us_;
  const std::int64_t threshold_us_;  // the threshold, as time to decay to zero
  const std::int64_t max_us_;        // max_score, likewise
  std::array<std::int64_t, kOffenseKinds> weight_us_{};

  // The latest blocked_until ever set on any entry / on a prefix entry: when
  // `now` is past it, nothing (no prefix) is blocked.
  std::atomic<std::int64_t> latest_block_end_us_{0};
  std::atomic<std::int64_t> latest_prefix_block_end_us_{0};

  std::atomic<std::uint64_t> blocks_{0};
  std::atomic<std::uint64_t> refusals_{0};
  std::atomic<std::uint64_t> overflow_offenses_{0};
  std::array<std::atomic<std::uint64_t>, kOffenseKinds> offenses_{};

  KeyTable<Entry> table_;
};

}  // namespace mcpx::guard
