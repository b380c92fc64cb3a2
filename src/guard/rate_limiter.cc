#include "guard/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include <boost/asio/ip/address.hpp>

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
      max_per_shard_(std::max<std::size_t>(1, max_keys / kShards)) {}

RateLimiter::Shard& RateLimiter::ShardOf(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) % kShards];
}

bool RateLimiter::TryTake(std::string_view key, std::int64_t now_us, std::int64_t* wait_us) {
  Shard& shard = ShardOf(key);
  {
    ReaderMutexLock lock(&shard.mu);
    if (auto it = shard.buckets.find(absl::string_view(key.data(), key.size())); it != shard.buckets.end()) {
      *wait_us = it->second.Take(now_us, interval_us_, tolerance_us_);
      return true;
    }
  }
  MutexLock lock(&shard.mu);
  auto it = shard.buckets.find(absl::string_view(key.data(), key.size()));
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= max_per_shard_ && SweepShard(shard, now_us) == 0) return false;
    it = shard.buckets.try_emplace(std::string(key)).first;
    size_.fetch_add(1, std::memory_order_relaxed);
  }
  *wait_us = it->second.Take(now_us, interval_us_, tolerance_us_);
  return true;
}

std::int64_t RateLimiter::Admit(std::string_view key, absl::FunctionRef<std::string()> coarse, std::int64_t now_us) {
  if (interval_us_ <= 0) return 0;
  std::int64_t wait = 0;
  if (TryTake(key, now_us, &wait)) return wait;
  if (const std::string wider = coarse(); !wider.empty() && wider != key && TryTake(wider, now_us, &wait)) return wait;
  return overflow_.Take(now_us, interval_us_, tolerance_us_);
}

std::size_t RateLimiter::SweepShard(Shard& shard, std::int64_t now_us) {
  const std::size_t dropped = absl::erase_if(shard.buckets, [now_us](const auto& entry) { return entry.second.Full(now_us); });
  size_.fetch_sub(dropped, std::memory_order_relaxed);
  return dropped;
}

std::size_t RateLimiter::Sweep(std::int64_t now_us) {
  std::size_t dropped = 0;
  for (Shard& shard : shards_) {
    MutexLock lock(&shard.mu);
    dropped += SweepShard(shard, now_us);
  }
  return dropped;
}

std::string AddressPrefix(std::string_view address) {
  boost::system::error_code ec;
  const auto parsed = boost::asio::ip::make_address(std::string(address), ec);
  if (ec) return std::string(address);
  if (parsed.is_v4() || (parsed.is_v6() && parsed.to_v6().is_v4_mapped())) {
    auto bytes = (parsed.is_v4() ? parsed.to_v4()
                                 : boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, parsed.to_v6()))
                     .to_bytes();
    bytes[3] = 0;
    return boost::asio::ip::address_v4(bytes).to_string() + "/24";
  }
  auto bytes = parsed.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

}  // namespace mcpx::guard
