#include "guard/ip_reputation.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace mcpx::guard {

std::string_view Name(Offense offense) {
  switch (offense) {
    case Offense::kMalformedRequest: return "malformed_request";
    case Offense::kAuthFailure: return "auth_failure";
    case Offense::kOriginRejected: return "origin_rejected";
    case Offense::kRateLimited: return "rate_limited";
    case Offense::kHeaderTimeout: return "header_timeout";
    case Offense::kConnectionLimit: return "connection_limit";
    case Offense::kSessionMismatch: return "session_mismatch";
  }
  return "unknown";
}

double OffenseWeights::of(Offense offense) const {
  switch (offense) {
    case Offense::kMalformedRequest: return malformed_request;
    case Offense::kAuthFailure: return auth_failure;
    case Offense::kOriginRejected: return origin_rejected;
    case Offense::kRateLimited: return rate_limited;
    case Offense::kHeaderTimeout: return header_timeout;
    case Offense::kConnectionLimit: return connection_limit;
    case Offense::kSessionMismatch: return session_mismatch;
  }
  return 0;
}

namespace {

// Points -> microseconds of decay, clamped to [0, ~3000 years] so that sums
// of times never overflow.
std::int64_t DecayUs(double points, double decay_per_us) {
  if (!(decay_per_us > 0) || !(points > 0)) return 0;
  return std::llround(std::min(points / decay_per_us, 1e17));
}

}  // namespace

IpReputation::IpReputation(ReputationOptions options)
    : options_(options),
      decay_per_us_(options.decay_per_second / 1e6),
      threshold_us_(DecayUs(options.threshold, decay_per_us_)),
      max_us_(std::max(threshold_us_, DecayUs(options.max_score, decay_per_us_))),
      table_(options.max_keys) {
  for (std::size_t i = 0; i < kOffenseKinds; ++i) {
    weight_us_[i] = DecayUs(options_.weights.of(static_cast<Offense>(i)), decay_per_us_);
  }
}

void IpReputation::RaiseTo(std::atomic<std::int64_t>& latest, std::int64_t value) {
  std::int64_t seen = latest.load(std::memory_order_relaxed);
  while (seen < value && !latest.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

bool IpReputation::Charge(Entry& entry, std::int64_t weight_us, std::int64_t now_us) {
  std::int64_t zero_at = entry.zero_at_us.load(std::memory_order_relaxed);
  std::int64_t next = 0;
  do {
    next = std::min(std::max(zero_at, now_us) + weight_us, now_us + max_us_);
  } while (!entry.zero_at_us.compare_exchange_weak(zero_at, next, std::memory_order_relaxed));
  if (next - now_us < threshold_us_) return false;
  // At or above the threshold: start a block unless one is in force. Of
  // racing offenses, the one whose compare-and-swap lands started it.
  const std::int64_t until = now_us + std::max<std::int64_t>(0, options_.cooldown_us);
  std::int64_t blocked_until = entry.blocked_until_us.load(std::memory_order_relaxed);
  do {
    if (blocked_until > now_us) return false;
  } while (!entry.blocked_until_us.compare_exchange_weak(blocked_until, until, std::memory_order_relaxed));
  blocks_.fetch_add(1, std::memory_order_relaxed);
  RaiseTo(latest_block_end_us_, until);
  return true;
}

bool IpReputation::Record(std::string_view address, Offense offense, std::int64_t now_us) {
  const auto kind = static_cast<std::size_t>(offense);
  if (kind >= kOffenseKinds) return false;
  offenses_[kind].fetch_add(1, std::memory_order_relaxed);
  if (!enabled()) return false;
  const std::int64_t weight_us = weight_us_[kind];
  bool started = false;
  table_.ApplyOrAggregate(
      address, [address] { return AddressPrefix(address); },
      [now_us](const Entry& entry) { return entry.Stale(now_us); },
      [&](Entry& entry, KeyLevel level) {
        if (level == KeyLevel::kOverflow) {  // stands for everyone: never blocks
          overflow_offenses_.fetch_add(1, std::memory_order_relaxed);
          return;
        }
        started = Charge(entry, weight_us, now_us);
        if (started && level == KeyLevel::kCoarse) {
          RaiseTo(latest_prefix_block_end_us_, entry.blocked_until_us.load(std::memory_order_relaxed));
        }
      });
  return started;
}

std::int64_t IpReputation::LeftOf(const Entry& entry, std::int64_t now_us) {
  return std::max<std::int64_t>(0, entry.blocked_until_us.load(std::memory_order_relaxed) - now_us);
}

std::int64_t IpReputation::BlockedFor(std::string_view address, std::int64_t now_us) {
  // The fast path: no block anywhere outlasts `now`.
  if (!AnyBlocked(now_us)) return 0;
  std::int64_t left = 0;
  table_.Find(address, [&](const Entry& entry) { left = LeftOf(entry, now_us); });
  if (now_us < latest_prefix_block_end_us_.load(std::memory_order_relaxed)) {
    // Some prefix is blocked: is it this address's?
    if (const std::string prefix = AddressPrefix(address); prefix != address) {
      table_.Find(prefix, [&](const Entry& entry) { left = std::max(left, LeftOf(entry, now_us)); });
    }
  }
  if (left > 0) refusals_.fetch_add(1, std::memory_order_relaxed);
  return left;
}

double IpReputation::Score(std::string_view address, std::int64_t now_us) const {
  double score = 0;
  table_.Find(address, [&](const Entry& entry) {
    const std::int64_t left = entry.zero_at_us.load(std::memory_order_relaxed) - now_us;
    score = static_cast<double>(std::max<std::int64_t>(0, left)) * decay_per_us_;
  });
  return score;
}

std::size_t IpReputation::Sweep(std::int64_t now_us) {
  return table_.Sweep([now_us](const Entry& entry) { return entry.Stale(now_us); });
}

std::size_t IpReputation::Blocked(std::int64_t now_us) const {
  if (!AnyBlocked(now_us)) return 0;
  std::size_t blocked = 0;
  table_.ForEach([&](std::string_view, const Entry& entry) { blocked += LeftOf(entry, now_us) > 0; });
  return blocked;
}

}  // namespace mcpx::guard
