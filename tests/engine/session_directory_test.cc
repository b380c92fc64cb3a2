#include "engine/session_directory.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace mcpx::engine {
namespace {

SessionPtr MakeSession(std::string id, std::int64_t now = 0) {
  return std::make_shared<Session>(std::move(id), ClientInit{}, now);
}

TEST(SessionDirectory, InsertFindRemove) {
  SessionDirectory dir(10);
  auto s = MakeSession("abc");
  EXPECT_EQ(dir.Insert(s), SessionDirectory::InsertResult::kInserted);
  EXPECT_EQ(dir.Find("abc"), s);
  EXPECT_EQ(dir.Find("abd"), nullptr);
  EXPECT_EQ(dir.Insert(MakeSession("abc")), SessionDirectory::InsertResult::kDuplicate);
  EXPECT_EQ(dir.size(), 1u);
  EXPECT_EQ(dir.Remove("abc"), s);
  EXPECT_EQ(dir.Remove("abc"), nullptr);
  EXPECT_EQ(dir.size(), 0u);
}

TEST(SessionDirectory, CapIsEnforced) {
  SessionDirectory dir(3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(dir.Insert(MakeSession("s" + std::to_string(i))), SessionDirectory::InsertResult::kInserted);
  }
  EXPECT_EQ(dir.Insert(MakeSession("s3")), SessionDirectory::InsertResult::kFull);
  dir.Remove("s0");
  EXPECT_EQ(dir.Insert(MakeSession("s3")), SessionDirectory::InsertResult::kInserted);
  EXPECT_EQ(dir.GetOrCreate("s9", [] { return MakeSession("s9"); }), nullptr);
}

// Keys live inline in the table: an id longer than a key can never name a
// session, and inserting one is refused rather than truncated.
TEST(SessionDirectory, IdsLongerThanAKeyAreRefused) {
  SessionDirectory dir(10);
  const std::string longest(SessionKey::kMaxLength, 'a');
  const std::string too_long(SessionKey::kMaxLength + 1, 'a');
  EXPECT_EQ(dir.Insert(MakeSession(too_long)), SessionDirectory::InsertResult::kBadId);
  EXPECT_EQ(dir.size(), 0u);
  EXPECT_EQ(dir.Insert(MakeSession(longest)), SessionDirectory::InsertResult::kInserted);
  EXPECT_NE(dir.Find(longest), nullptr);
  EXPECT_EQ(dir.Find(too_long), nullptr);  // not a prefix match
  EXPECT_EQ(dir.Remove(too_long), nullptr);
  EXPECT_EQ(dir.size(), 1u);

  // Keys are zero-padded: an id with a NUL is refused, so "ab" and "ab\0"
  // can never be confused, and ids of every length up to the maximum differ.
  const std::string with_nul("ab\0", 3);
  EXPECT_EQ(dir.Insert(MakeSession(with_nul)), SessionDirectory::InsertResult::kBadId);
  EXPECT_EQ(dir.Insert(MakeSession("ab")), SessionDirectory::InsertResult::kInserted);
  EXPECT_EQ(dir.Find(with_nul), nullptr);
  EXPECT_EQ(dir.GetOrCreate(with_nul, [] { return MakeSession("x"); }), nullptr);
  EXPECT_EQ(dir.Find("ab")->id(), "ab");
  EXPECT_EQ(dir.Find("a"), nullptr);
  EXPECT_EQ(dir.Find(std::string(SessionKey::kMaxLength - 1, 'a')), nullptr);
  EXPECT_EQ(dir.size(), 2u);
}

TEST(SessionDirectory, RemoveIfTakesOnlyAMatchingSession) {
  SessionDirectory dir(100);
  for (int i = 0; i < 50; ++i) dir.Insert(MakeSession("s" + std::to_string(i), i));
  const auto even = [](const Session& s) { return s.created_ms() % 2 == 0; };
  std::size_t removed = 0;
  for (int i = 0; i < 50; ++i) {
    const std::string id = "s" + std::to_string(i);
    if (SessionPtr s = dir.RemoveIf(id, even)) {
      EXPECT_EQ(s->id(), id);
      EXPECT_EQ(dir.Find(id), nullptr);
      ++removed;
    } else {
      EXPECT_NE(dir.Find(id), nullptr);
    }
  }
  EXPECT_EQ(removed, 25u);
  EXPECT_EQ(dir.size(), 25u);
  EXPECT_EQ(dir.RemoveIf("absent", even), nullptr);
}

std::vector<std::string> Ids(const std::vector<SessionPtr>& sessions) {
  std::vector<std::string> out;
  for (const auto& s : sessions) out.push_back(s->id());
  return out;
}

// Pages cover every session exactly once, in bounded steps, and a cursor
// survives sessions coming and going between pages.
TEST(SessionDirectory, PagesVisitEverySessionOnce) {
  SessionDirectory dir(10000);
  constexpr int kSessions = 1000;
  for (int i = 0; i < kSessions; ++i) dir.Insert(MakeSession("p" + std::to_string(i)));
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    std::string next;
    const auto page = dir.Page(cursor, 64, &next);
    EXPECT_LE(page.size(), 64u);
    for (const auto& id : Ids(page)) EXPECT_TRUE(seen.insert(id).second) << id;
    if (pages == 3) {  // churn between pages: a removal and an insertion
      dir.Remove(*seen.begin());
      dir.Insert(MakeSession("late"));
    }
    cursor = next;
    ++pages;
  } while (!cursor.empty() && pages < 100);
  EXPECT_TRUE(cursor.empty());
  EXPECT_GE(seen.size(), static_cast<std::size_t>(kSessions));
  EXPECT_GE(pages, kSessions / 64);

  std::string next;
  EXPECT_TRUE(dir.Page("zz-not-a-cursor", 10, &next).empty());
  EXPECT_TRUE(next.empty());
  EXPECT_TRUE(dir.Page({}, 0, &next).empty());
}

TEST(SessionDirectory, ForEachVisitsEverySessionAndStopsOnRequest) {
  SessionDirectory dir(1000);
  for (int i = 0; i < 300; ++i) dir.Insert(MakeSession("f" + std::to_string(i)));
  std::set<std::string> seen;
  dir.ForEach([&](const SessionPtr& s) {
    seen.insert(s->id());
    return true;
  });
  EXPECT_EQ(seen.size(), 300u);
  int visited = 0;
  dir.ForEach([&](const SessionPtr&) { return ++visited < 10; });
  EXPECT_EQ(visited, 10);
}

// Many threads racing GetOrCreate on the same ids all receive the same session,
// and the size counts each id once.
TEST(SessionDirectoryConcurrency, GetOrCreateIsAtomic) {
  SessionDirectory dir(1000);
  constexpr int kThreads = 8;
  constexpr int kIds = 200;
  std::vector<std::vector<Session*>> seen(kThreads, std::vector<Session*>(kIds));
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIds; ++i) {
        const std::string id = "id" + std::to_string(i);
        auto s = dir.GetOrCreate(id, [&] {
          created.fetch_add(1);
          return MakeSession(id);
        });
        seen[t][i] = s.get();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(created.load(), kIds);
  EXPECT_EQ(dir.size(), static_cast<std::size_t>(kIds));
  for (int t = 1; t < kThreads; ++t) EXPECT_EQ(seen[t], seen[0]);
}

// Shards stay at most 3/4 full as they grow, and compacting after expiry
// gives the slots back.
TEST(SessionDirectory, TablesGrowEarlyAndShrinkWhenCompacted) {
  SessionDirectory dir(100000);
  const std::size_t empty = dir.table_slots();
  constexpr int kSessions = 20000;
  for (int i = 0; i < kSessions; ++i) {
    ASSERT_EQ(dir.Insert(MakeSession("g" + std::to_string(i))), SessionDirectory::InsertResult::kInserted);
  }
  EXPECT_GE(3 * dir.table_slots(), 4u * kSessions);  // load <= 3/4
  for (int i = 0; i < kSessions; i += 97) ASSERT_NE(dir.Find("g" + std::to_string(i)), nullptr);
  // Half expire: still within bounds, every survivor found.
  const auto all = [](const Session&) { return true; };
  for (int i = 0; i < kSessions; i += 2) ASSERT_NE(dir.RemoveIf("g" + std::to_string(i), all), nullptr);
  dir.Compact();
  EXPECT_EQ(dir.size(), kSessions / 2u);
  for (int i = 1; i < kSessions; i += 2) ASSERT_NE(dir.Find("g" + std::to_string(i)), nullptr);
  // All expire: back to the starting size.
  for (int i = 1; i < kSessions; i += 2) ASSERT_NE(dir.RemoveIf("g" + std::to_string(i), all), nullptr);
  dir.Compact();
  EXPECT_EQ(dir.size(), 0u);
  EXPECT_EQ(dir.table_slots(), empty);
  EXPECT_EQ(dir.Insert(MakeSession("again")), SessionDirectory::InsertResult::kInserted);
}

// Readers, writers and removers on overlapping ids: no lost updates to the
// size counter and no torn lookups (checked under TSan).
TEST(SessionDirectoryConcurrency, MixedChurnKeepsCountConsistent) {
  SessionDirectory dir(100000);
  constexpr int kThreads = 4;
  constexpr int kOps = 4000;
  std::vector<std::thread> threads;
  std::atomic<long> inserted{0}, removed{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOps; ++i) {
        const std::string id = "k" + std::to_string((i * 7 + t) % 500);
        switch (i % 4) {
          case 0:
            if (dir.Insert(MakeSession(id)) == SessionDirectory::InsertResult::kInserted) inserted++;
            break;
          case 1:
            if (dir.Remove(id)) removed++;
            break;
          default:
            if (auto s = dir.Find(id)) {
              EXPECT_EQ(s->id(), id);
            }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(static_cast<long>(dir.size()), inserted.load() - removed.load());
  std::size_t visited = 0;
  dir.ForEach([&](const SessionPtr&) { return ++visited > 0; });
  EXPECT_EQ(visited, dir.size());
}

}  // namespace
}  // namespace mcpx::engine
