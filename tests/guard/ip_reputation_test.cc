#include "guard/ip_reputation.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace mcpx::guard {
namespace {

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kT0 = 1000 * kSecond;

// The defaults: threshold 100, 1 point/s, cooldown 60 s, auth failure 20.
TEST(IpReputation, TheScoreRisesByTheWeightAndDecaysLinearly) {
  IpReputation reputation;
  EXPECT_TRUE(reputation.enabled());
  EXPECT_FALSE(reputation.Record("10.0.0.1", Offense::kAuthFailure, kT0));
  EXPECT_DOUBLE_EQ(reputation.Score("10.0.0.1", kT0), 20);
  EXPECT_DOUBLE_EQ(reputation.Score("10.0.0.1", kT0 + 5 * kSecond), 15);
  EXPECT_FALSE(reputation.Record("10.0.0.1", Offense::kMalformedRequest, kT0 + 5 * kSecond));
  EXPECT_DOUBLE_EQ(reputation.Score("10.0.0.1", kT0 + 5 * kSecond), 25);
  EXPECT_DOUBLE_EQ(reputation.Score("10.0.0.1", kT0 + 30 * kSecond), 0);
  // Decayed to zero, it starts again from zero (no credit for good behaviour).
  reputation.Record("10.0.0.1", Offense::kRateLimited, kT0 + 100 * kSecond);
  EXPECT_DOUBLE_EQ(reputation.Score("10.0.0.1", kT0 + 100 * kSecond), 2);
  EXPECT_EQ(reputation.offenses(Offense::kAuthFailure), 1u);
  EXPECT_EQ(reputation.offenses(Offense::kMalformedRequest), 1u);
  EXPECT_EQ(reputation.offenses(Offense::kRateLimited), 1u);
  EXPECT_EQ(reputation.blocks(), 0u);
  EXPECT_DOUBLE_EQ(reputation.Score("never.seen", kT0), 0);
}

TEST(IpReputation, ReachingTheThresholdBlocksForTheCooldownThenReleases) {
  IpReputation reputation;
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(reputation.Record("10.0.0.1", Offense::kAuthFailure, kT0)) << i;
  EXPECT_EQ(reputation.BlockedFor("10.0.0.1", kT0), 0);
  EXPECT_TRUE(reputation.Record("10.0.0.1", Offense::kAuthFailure, kT0));  // 100: blocked
  EXPECT_EQ(reputation.blocks(), 1u);
  EXPECT_EQ(reputation.BlockedFor("10.0.0.1", kT0), 60 * kSecond);
  EXPECT_EQ(reputation.BlockedFor("10.0.0.1", kT0 + 59 * kSecond), kSecond);
  EXPECT_EQ(reputation.BlockedFor("10.0.0.2", kT0), 0);  // only that address
  EXPECT_EQ(reputation.Blocked(kT0), 1u);
  EXPECT_EQ(reputation.refusals(), 2u);
  // More offenses while blocked do not start another block (nor extend it).
  EXPECT_FALSE(reputation.Record("10.0.0.1", Offense::kAuthFailure, kT0 + kSecond));
  EXPECT_EQ(reputation.blocks(), 1u);
  EXPECT_EQ(reputation.BlockedFor("10.0.0.1", kT0 + kSecond), 59 * kSecond);
  // Released after the cooldown.
  EXPECT_EQ(reputation.BlockedFor("10.0.0.1", kT0 + 60 * kSecond), 0);
  EXPECT_EQ(reputation.Blocked(kT0 + 60 * kSecond), 0u);
  // Its score (120 - 60 = 60 left) means it is blocked again sooner.
  EXPECT_DOUBLE_EQ(reputation.Score("10.0.0.1", kT0 + 60 * kSecond), 60);
  EXPECT_FALSE(reputation.Record("10.0.0.1", Offense::kAuthFailure, kT0 + 60 * kSecond));
  EXPECT_TRUE(reputation.Record("10.0.0.1", Offense::kAuthFailure, kT0 + 60 * kSecond));
  EXPECT_EQ(reputation.blocks(), 2u);
}

TEST(IpReputation, TheScoreSaturatesAtMaxScore) {
  IpReputation reputation({.max_score = 150});
  for (int i = 0; i < 100; ++i) reputation.Record("a", Offense::kAuthFailure, kT0);
  EXPECT_DOUBLE_EQ(reputation.Score("a", kT0), 150);
  EXPECT_EQ(reputation.blocks(), 1u);
}

// BlockedFor is one relaxed load while nothing is blocked anywhere.
TEST(IpReputation, BlockedForTakesTheFastPathWhileNothingIsBlocked) {
  IpReputation reputation;
  EXPECT_FALSE(reputation.AnyBlocked(kT0));
  reputation.Record("10.0.0.1", Offense::kAuthFailure, kT0);  // scored, not blocked
  EXPECT_FALSE(reputation.AnyBlocked(kT0));
  EXPECT_EQ(reputation.BlockedFor("10.0.0.1", kT0), 0);
  for (int i = 0; i < 4; ++i) reputation.Record("10.0.0.1", Offense::kAuthFailure, kT0);
  EXPECT_TRUE(reputation.AnyBlocked(kT0));
  EXPECT_TRUE(reputation.AnyBlocked(kT0 + 60 * kSecond - 1));
  EXPECT_FALSE(reputation.AnyBlocked(kT0 + 60 * kSecond));  // the block ran out: fast again
  EXPECT_EQ(reputation.size(), 1u);  // BlockedFor never added an entry
}

TEST(IpReputation, DisabledItCountsButNeverBlocks) {
  IpReputation reputation({.threshold = 0});
  EXPECT_FALSE(reputation.enabled());
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(reputation.Record("a", Offense::kAuthFailure, kT0));
  EXPECT_EQ(reputation.BlockedFor("a", kT0), 0);
  EXPECT_EQ(reputation.offenses(Offense::kAuthFailure), 100u);
  EXPECT_EQ(reputation.size(), 0u);
  EXPECT_EQ(Name(Offense::kHeaderTimeout), "header_timeout");
}

std::size_t ShardOf(std::string_view key) {
  return std::hash<std::string_view>{}(key) % KeyTable<int>::kShards;
}

// A full table charges an address's /24 (so the network is blocked as one),
// and when the prefix does not fit either, the overflow entry, which never
// blocks anyone.
TEST(IpReputation, AFullTableChargesThePrefixThenAnOverflowThatNeverBlocks) {
  IpReputation reputation({.max_keys = 16});  // one address per shard
  const std::string prefix = "10.0.0.0/24";
  // Fill every shard but the prefix's (a rate-limit hit: 2 points).
  std::set<std::size_t> used = {ShardOf(prefix)};
  for (int i = 1; used.size() < 16; ++i) {
    const std::string filler = "192.0.2." + std::to_string(i);
    if (used.insert(ShardOf(filler)).second) reputation.Record(filler, Offense::kRateLimited, kT0);
  }
  ASSERT_EQ(reputation.size(), 15u);
  // Addresses of 10.0.0.0/24 that find their shard full are charged to the prefix.
  std::vector<std::string> senders;
  for (int i = 1; senders.size() < 5; ++i) {
    if (std::string a = "10.0.0." + std::to_string(i); ShardOf(a) != ShardOf(prefix)) senders.push_back(a);
  }
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(reputation.Record(senders[i], Offense::kAuthFailure, kT0));
  EXPECT_TRUE(reputation.Record(senders[4], Offense::kAuthFailure, kT0));  // the /24 reached 100
  EXPECT_EQ(reputation.size(), 16u);
  EXPECT_DOUBLE_EQ(reputation.Score(senders[0], kT0), 0);  // no entry of its own
  EXPECT_DOUBLE_EQ(reputation.Score(prefix, kT0), 100);
  // The whole /24 is refused, nothing else is.
  EXPECT_EQ(reputation.BlockedFor("10.0.0.200", kT0), 60 * kSecond);
  EXPECT_EQ(reputation.BlockedFor(senders[0], kT0 + kSecond), 59 * kSecond);
  EXPECT_EQ(reputation.BlockedFor("10.0.1.1", kT0), 0);
  EXPECT_EQ(reputation.BlockedFor("192.0.2.1", kT0), 0);
  // Now every shard is full: offenses from anywhere else reach the overflow entry.
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(reputation.Record("172.16." + std::to_string(i) + ".1", Offense::kAuthFailure, kT0));
  }
  EXPECT_EQ(reputation.overflow_offenses(), 100u);
  EXPECT_EQ(reputation.BlockedFor("172.16.0.1", kT0), 0);
  EXPECT_EQ(reputation.blocks(), 1u);
  EXPECT_EQ(reputation.size(), 16u);
}

TEST(IpReputation, SweepDropsEntriesWithNoScoreAndNoBlock) {
  IpReputation reputation;
  reputation.Record("a", Offense::kAuthFailure, kT0);                             // zero at +20 s
  for (int i = 0; i < 5; ++i) reputation.Record("b", Offense::kAuthFailure, kT0);  // blocked to +60 s, zero at +100 s
  EXPECT_EQ(reputation.Sweep(kT0 + 19 * kSecond), 0u);
  EXPECT_EQ(reputation.Sweep(kT0 + 20 * kSecond), 1u);
  EXPECT_EQ(reputation.Sweep(kT0 + 99 * kSecond), 0u);  // b: block over, score 1 left
  EXPECT_EQ(reputation.Sweep(kT0 + 100 * kSecond), 1u);
  EXPECT_EQ(reputation.size(), 0u);
}

// Threads charging one address at one instant: the score is exact (one CAS
// per offense) and exactly one offense starts the block. Checked under TSan,
// with BlockedFor and Sweep racing them.
TEST(IpReputationConcurrency, RacingOffensesStartExactlyOneBlock) {
  IpReputation reputation({.threshold = 1000, .max_score = 100000, .max_keys = 4096});
  std::atomic<int> started{0};
  std::atomic<bool> stop{false};
  std::thread checker([&] {
    while (!stop.load()) {
      reputation.BlockedFor("x", kT0);
      reputation.BlockedFor("10.9.9.9", kT0);
      reputation.Sweep(kT0);
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        if (reputation.Record("x", Offense::kAuthFailure, kT0)) ++started;
        reputation.Record("10.1." + std::to_string(t) + "." + std::to_string(i % 200), Offense::kRateLimited, kT0);
      }
    });
  }
  for (auto& th : threads) th.join();
  stop = true;
  checker.join();
  EXPECT_EQ(started.load(), 1);
  EXPECT_EQ(reputation.blocks(), 1u);
  EXPECT_DOUBLE_EQ(reputation.Score("x", kT0), 4 * 500 * 20);
  EXPECT_EQ(reputation.BlockedFor("x", kT0), 60 * kSecond);
  EXPECT_EQ(reputation.size(), 1u + 4 * 200);
}

}  // namespace
}  // namespace mcpx::guard
