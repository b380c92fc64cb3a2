#include "guard/rate_limiter.h"

namespace mcpx::guard {
namespace {

// GCRA cells count nanoseconds; the limiter's callers, microseconds.
constexpr std::int64_t kNsPerUs = 1000;

}  // namespace

RateLimiter::RateLimiter(RateLimit limit, std::size_t max_keys)
    : rate_(limit.per_second, limit.burst), table_(max_keys) {}

std::int64_t RateLimiter::Admit(std::string_view key, absl::FunctionRef<std::string()> coarse, std::int64_t now_us) {
  if (!rate_.enabled()) return 0;
  const std::int64_t now_ns = now_us * kNsPerUs;
  std::int64_t wait_ns = 0;
  table_.ApplyOrAggregate(
      key, coarse, [now_ns](const GcraCell& cell) { return cell.Full(now_ns); },
      [&](GcraCell& cell, KeyLevel) { wait_ns = cell.Take(now_ns, rate_); });
  // Rounded up: a refusal never reads as 0 (admitted).
  return (wait_ns + kNsPerUs - 1) / kNsPerUs;
}

std::size_t RateLimiter::Sweep(std::int64_t now_us) {
  const std::int64_t now_ns = now_us * kNsPerUs;
  return table_.Sweep([now_ns](const GcraCell& cell) { return cell.Full(now_ns); });
}

}  // namespace mcpx::guard
