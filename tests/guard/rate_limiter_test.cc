#include "guard/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace mcpx::guard {
namespace {

constexpr std::int64_t kSecond = 1'000'000;
std::string NoCoarseKey() { return {}; }
std::string Slash64() { return "2001:db8::/64"; }

TEST(RateLimiter, ABurstIsAdmittedThenRefusedWithTheWaitThenRefilledAtTheRate) {
  RateLimiter limiter({.per_second = 10, .burst = 3}, 1024);
  const std::int64_t t0 = 50 * kSecond;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Admit("a", NoCoarseKey, t0), 0) << i;
  const std::int64_t wait = limiter.Admit("a", NoCoarseKey, t0);
  EXPECT_EQ(wait, kSecond / 10);  // one interval until the next token
  EXPECT_GT(limiter.Admit("a", NoCoarseKey, t0 + wait - 1), 0);
  EXPECT_EQ(limiter.Admit("a", NoCoarseKey, t0 + wait), 0);
  // A steady client at the rate is always admitted.
  for (int i = 2; i < 50; ++i) EXPECT_EQ(limiter.Admit("a", NoCoarseKey, t0 + i * kSecond / 10), 0) << i;
  EXPECT_EQ(limiter.Admit("b", NoCoarseKey, t0), 0);  // keys are independent
}

TEST(RateLimiter, WithoutABurstItHoldsOneSecondsWorth) {
  RateLimiter limiter({.per_second = 5}, 1024);
  int admitted = 0;
  for (int i = 0; i < 20; ++i) admitted += limiter.Admit("a", NoCoarseKey, kSecond) == 0;
  EXPECT_EQ(admitted, 5);
  RateLimiter off({}, 1024);
  EXPECT_FALSE(off.enabled());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(off.Admit("a", NoCoarseKey, 0), 0);
  EXPECT_EQ(off.size(), 0u);
}

// A full table never grows: new keys share their coarse key's bucket, then
// the overflow bucket; refilled buckets make room again.
TEST(RateLimiter, AFullTableChargesTheCoarseKeyThenTheOverflowAndSweepsRefilledBuckets) {
  RateLimiter limiter({.per_second = 1, .burst = 2}, /*max_keys=*/16);  // one per shard
  const std::int64_t t0 = 10 * kSecond;
  for (int i = 0; i < 200; ++i) {
    limiter.Admit("2001:db8::" + std::to_string(i), Slash64, t0);
    ASSERT_LE(limiter.size(), 16u);
  }
  // Every address beyond the table shared a few buckets: most were refused.
  int admitted = 0;
  for (int i = 200; i < 300; ++i) admitted += limiter.Admit("2001:db8::" + std::to_string(i), Slash64, t0) == 0;
  EXPECT_LT(admitted, 5);
  // Ten seconds later every bucket has refilled: a sweep drops them all.
  EXPECT_EQ(limiter.Sweep(t0), 0u);
  EXPECT_GT(limiter.Sweep(t0 + 10 * kSecond), 0u);
  EXPECT_EQ(limiter.size(), 0u);
  EXPECT_EQ(limiter.Admit("fresh", NoCoarseKey, t0 + 10 * kSecond), 0);
}

TEST(RateLimiter, AddressPrefixes) {
  EXPECT_EQ(AddressPrefix("10.1.2.3"), "10.1.2.0/24");
  EXPECT_EQ(AddressPrefix("2001:db8:0:1:2:3:4:5"), "2001:db8:0:1::/64");
  EXPECT_EQ(AddressPrefix("::ffff:192.168.7.9"), "192.168.7.0/24");
  EXPECT_EQ(AddressPrefix("not an address"), "not an address");
}

// Many threads on one key at one instant: exactly the burst is admitted
// (the bucket is one compare-and-swap; checked under TSan).
TEST(RateLimiterConcurrency, ThreadsRacingOneKeyGetExactlyTheBurst) {
  RateLimiter limiter({.per_second = 1000, .burst = 500}, 1024);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (limiter.Admit("same", NoCoarseKey, kSecond) == 0) ++admitted;
        if (i % 100 == 0) limiter.Admit("other" + std::to_string(t * 100 + i), NoCoarseKey, kSecond);
        if (t == 0 && i % 500 == 0) limiter.Sweep(kSecond);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(admitted.load(), 500);
}

}  // namespace
}  // namespace mcpx::guard
