#include "guard/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace mcpx::guard {

std::int64_t RateBucket::Take(std::int64_t now_us, std::int64_t interval_us, std::int64_t tolerance_us) {
  std::int64_t tat = tat_us_.load(std::memory_order_relaxed);
  for (;;) {
    const std::int64_t start = std::max(tat, now_us);
    if (start - now_us > tolerance_us) return start - now_us - tolerance_us;
    if (tat_us_.compare_exchange_weak(tat, start + interval_us, std::memory_order_relaxed)) return 0;
  }
}

namespace {

std::int64_t IntervalUs(const RateLimit& limit) {
  if (limit.per_second <= 0) return 0;
  return std::max<std::int64_t>(1, std::llround(1e6 / limit.per_second));
}

double BurstOf(const RateLimit& limit) {
  return std::max(1.0, limit.burst >= 1 ? limit.burst : limit.per_second);
}

}  // namespace

RateLimiter::RateLimiter(RateLimit limit, std::size_t max_keys)
    : interval_us_(IntervalUs(limit)),
      tolerance_us_(std::llround((BurstOf(limit) - 1) * static_cast<double>(interval_us_))),
      table_(max_keys) {}

std::int64_t RateLimiter::Admit(std::string_view key, absl::FunctionRef<std::string()> coarse, std::int64_t now_us) {
  if (interval_us_ <= 0) return 0;
  std::int64_t wait = 0;
  table_.ApplyOrAggregate(
      key, coarse, [now_us](const RateBucket& bucket) { return bucket.Full(now_us); },
      [&](RateBucket& bucket, KeyLevel) { wait = bucket.Take(now_us, interval_us_, tolerance_us_); });
  return wait;
}

std::size_t RateLimiter::Sweep(std::int64_t now_us) {
  return table_.Sweep([now_us](const RateBucket& bucket) { return bucket.Full(now_us); });
}

}  // namespace mcpx::guard
