#include "guard/key_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace mcpx::guard {
namespace {

struct Counter {
  std::atomic<int> hits{0};
};

bool NeverStale(const Counter&) { return false; }
bool AlwaysStale(const Counter&) { return true; }
std::string NoCoarseKey() { return {}; }

// The shard a key lands in (the table hashes with std::hash).
std::size_t ShardOf(std::string_view key) { return std::hash<std::string_view>{}(key) % KeyTable<Counter>::kShards; }

TEST(KeyTable, AddsFindsAndNeverGrowsPastItsBound) {
  KeyTable<Counter> table(/*max_keys=*/32);  // two per shard
  EXPECT_EQ(table.max_keys(), 32u);
  EXPECT_TRUE(table.Apply("a", NeverStale, [](Counter& c) { ++c.hits; }));
  EXPECT_TRUE(table.Apply("a", NeverStale, [](Counter& c) { ++c.hits; }));
  int hits = 0;
  EXPECT_TRUE(table.Find("a", [&](const Counter& c) { hits = c.hits; }));
  EXPECT_EQ(hits, 2);
  EXPECT_FALSE(table.Find("b", [](const Counter&) {}));  // Find never adds
  EXPECT_EQ(table.size(), 1u);
  int refused = 0;
  for (int i = 0; i < 500; ++i) refused += !table.Apply("k" + std::to_string(i), NeverStale, [](Counter&) {});
  EXPECT_EQ(table.size(), 32u);
  EXPECT_EQ(refused, 500 - 31);
}

TEST(KeyTable, AFullShardDropsItsStaleEntriesBeforeRefusing) {
  KeyTable<Counter> table(16);  // one per shard
  ASSERT_TRUE(table.Apply("first", NeverStale, [](Counter&) {}));
  std::string same_shard;
  for (int i = 0; same_shard.empty(); ++i) {
    if (std::string key = "x" + std::to_string(i); ShardOf(key) == ShardOf("first")) same_shard = key;
  }
  EXPECT_FALSE(table.Apply(same_shard, NeverStale, [](Counter&) {}));
  EXPECT_TRUE(table.Apply(same_shard, AlwaysStale, [](Counter&) {}));
  EXPECT_FALSE(table.Find("first", [](const Counter&) {}));
  EXPECT_EQ(table.size(), 1u);
}

TEST(KeyTable, ChargesTheCoarseKeyThenTheOverflow) {
  KeyTable<Counter> table(16);
  const std::string coarse = "net/24";
  // Fill every shard but the coarse key's.
  for (int i = 0; table.size() < 15; ++i) {
    if (std::string key = "fill" + std::to_string(i); ShardOf(key) != ShardOf(coarse)) table.Apply(key, NeverStale, [](Counter&) {});
  }
  std::string blocked_key;  // a key whose shard is full
  for (int i = 0; blocked_key.empty(); ++i) {
    if (std::string key = "new" + std::to_string(i); ShardOf(key) != ShardOf(coarse)) blocked_key = key;
  }
  KeyLevel seen = KeyLevel::kKey;
  EXPECT_EQ(table.ApplyOrAggregate(blocked_key, [&] { return coarse; }, NeverStale, [&](Counter& c, KeyLevel level) { ++c.hits; seen = level; }),
            KeyLevel::kCoarse);
  EXPECT_EQ(seen, KeyLevel::kCoarse);
  EXPECT_TRUE(table.Find(coarse, [](const Counter& c) { EXPECT_EQ(c.hits.load(), 1); }));
  // Now every shard is full: the overflow entry.
  EXPECT_EQ(table.ApplyOrAggregate("another" + blocked_key, NoCoarseKey, NeverStale, [](Counter& c, KeyLevel) { ++c.hits; }),
            KeyLevel::kOverflow);
  EXPECT_EQ(table.overflow().hits.load(), 1);
  EXPECT_EQ(table.size(), 16u);
}

TEST(KeyTable, SweepDropsWhatThePredicateCallsStale) {
  KeyTable<Counter> table(1024);
  for (int i = 0; i < 100; ++i) table.Apply(std::to_string(i), NeverStale, [i](Counter& c) { c.hits = i; });
  EXPECT_EQ(table.Sweep([](const Counter& c) { return c.hits % 2 == 0; }), 50u);
  EXPECT_EQ(table.size(), 50u);
  int visited = 0;
  table.ForEach([&](std::string_view, const Counter& c) {
    ++visited;
    EXPECT_EQ(c.hits % 2, 1);
  });
  EXPECT_EQ(visited, 50);
}

// Threads adding, charging and sweeping at once (checked under TSan): every
// charge lands on an entry that is not dropped under it, and size() agrees
// with the entries.
TEST(KeyTableConcurrency, ApplyFindAndSweepRace) {
  KeyTable<Counter> table(256);
  std::atomic<int> charged{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3000; ++i) {
        const std::string key = "k" + std::to_string((i * 7 + t) % 400);
        table.ApplyOrAggregate(key, NoCoarseKey, NeverStale, [&](Counter& c, KeyLevel) {
          ++c.hits;
          ++charged;
        });
        table.Find(key, [](const Counter& c) { EXPECT_GE(c.hits.load(), 0); });
        if (t == 0 && i % 300 == 0) table.Sweep([](const Counter& c) { return c.hits > 5; });
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(charged.load(), 12000);
  std::size_t entries = 0;
  table.ForEach([&](std::string_view, const Counter&) { ++entries; });
  EXPECT_EQ(entries, table.size());
  EXPECT_LE(table.size(), 256u);
}

}  // namespace
}  // namespace mcpx::guard
