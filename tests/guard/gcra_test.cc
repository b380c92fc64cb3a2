// GcraCell: the weighted one-word rate limit behind session and tool limits.
#include "guard/gcra.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace mcpx::guard {
namespace {

constexpr std::int64_t kMs = 1'000'000;  // nanoseconds
constexpr std::int64_t kStart = 1'000'000 * kMs;

TEST(GcraTest, AdmitsTheBurstThenOneUnitPerInterval) {
  const GcraRate rate(10, 3);  // 100 ms per unit
  GcraCell cell;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(cell.Take(kStart, rate), 0) << i;
  EXPECT_EQ(cell.Take(kStart, rate), 100 * kMs);
  EXPECT_EQ(cell.Take(kStart + 99 * kMs, rate), 1 * kMs);
  EXPECT_EQ(cell.Take(kStart + 100 * kMs, rate), 0);
  EXPECT_FALSE(cell.Full(kStart + 100 * kMs));
  EXPECT_TRUE(cell.Full(kStart + 400 * kMs));
}

TEST(GcraTest, AnUnlimitedRateAdmitsEverything) {
  GcraCell cell;
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(cell.Take(kStart, GcraRate()), 0);
  EXPECT_FALSE(GcraRate(0, 5).enabled());
}

TEST(GcraTest, WeightedTakesCountTheirCost) {
  const GcraRate bytes(1000, 1000);  // 1 ms per byte, 1000 at once
  GcraCell cell;
  EXPECT_EQ(cell.Take(kStart, bytes, 600), 0);
  EXPECT_EQ(cell.Take(kStart, bytes, 600), 200 * kMs);  // 400 left of the burst; 200 more to wait
  EXPECT_EQ(cell.Take(kStart, bytes, 400), 0);
}

TEST(GcraTest, ACostLargerThanTheBurstPassesOnlyWhenNothingIsOwed) {
  const GcraRate bytes(1000, 1000);
  GcraCell cell;
  EXPECT_EQ(cell.Take(kStart, bytes, 1), 0);
  EXPECT_EQ(cell.Take(kStart, bytes, 5000), 1 * kMs);  // waits for the cell to refill
  EXPECT_EQ(cell.Take(kStart + 1 * kMs, bytes, 5000), 0);
  EXPECT_EQ(cell.Take(kStart + 1 * kMs, bytes, 1), 4001 * kMs);  // 5 s owed, less the burst of 999 ms a unit may run ahead
}

TEST(GcraTest, ChargeAddsWorkAlreadyDoneWithoutAsking) {
  const GcraRate bytes(1000, 1000);
  GcraCell cell;
  cell.Charge(kStart, bytes, 3000);
  EXPECT_EQ(cell.Take(kStart, bytes, 1), 2001 * kMs);
  EXPECT_EQ(cell.Take(kStart + 2001 * kMs, bytes, 1), 0);
  cell.Charge(kStart, GcraRate(), 1e9);  // unlimited: nothing owed
  EXPECT_EQ(cell.Take(kStart + 2001 * kMs, bytes, 1), 1 * kMs);
}

TEST(GcraTest, ConcurrentTakesAdmitExactlyTheBurst) {
  const GcraRate rate(1, 64);
  GcraCell cell;
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (cell.Take(kStart, rate) == 0) admitted.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 64);
}

}  // namespace
}  // namespace mcpx::guard
