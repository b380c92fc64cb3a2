// JwksCache: refresh policy with injected time, and readers racing Install
// (labelled concurrency: also run under ThreadSanitizer).
#include "auth/jwks_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "auth/jwt_validator.h"
#include "test_jose.h"

namespace mcpx::auth {
namespace {

using testing::Jwks;
using testing::Pkey;
using testing::PublicJwk;

constexpr std::int64_t kT0 = 1'750'000'000;

KeySet SetOf(EVP_PKEY* key, std::string_view kid) { return KeySet::FromJwks(Jwks({PublicJwk(key, kid)})).value(); }

TEST(JwksCache, StartsEmptyAndDue) {
  JwksCache cache;
  ASSERT_NE(cache.Current(), nullptr);
  EXPECT_EQ(cache.Current()->size(), 0u);
  EXPECT_TRUE(cache.RefreshDue(kT0));
  EXPECT_FALSE(cache.RefreshDue(kT0 + 1));  // the first caller owns that refresh
  EXPECT_TRUE(cache.RefreshDue(kT0 + 30));  // it failed (nothing installed): try again
}

TEST(JwksCache, UnknownKidRefreshesAreRateLimited) {
  JwksCache cache({.refresh_interval_s = 3600, .min_refresh_interval_s = 30});
  Pkey ed = testing::NewEd25519Key();
  cache.Install(SetOf(ed.get(), "k1"), kT0);
  // Just installed: a kid unknown to the fresh set does not fetch again.
  EXPECT_FALSE(cache.NoteUnknownKid(kT0 + 1));
  EXPECT_TRUE(cache.NoteUnknownKid(kT0 + 30));
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(cache.NoteUnknownKid(kT0 + 30 + i % 30));
  EXPECT_TRUE(cache.NoteUnknownKid(kT0 + 60));
  EXPECT_EQ(cache.stats().rate_limited, 101u);
  EXPECT_FALSE(cache.RefreshDue(kT0 + 61));  // periodic refresh not due for an hour
}

TEST(JwksCache, PeriodicRefresh) {
  JwksCache cache({.refresh_interval_s = 600, .min_refresh_interval_s = 30});
  Pkey ed = testing::NewEd25519Key();
  cache.Install(SetOf(ed.get(), "k1"), kT0);
  EXPECT_FALSE(cache.RefreshDue(kT0 + 599));
  EXPECT_TRUE(cache.RefreshDue(kT0 + 600));
  EXPECT_FALSE(cache.RefreshDue(kT0 + 601));
  EXPECT_FALSE(cache.NoteUnknownKid(kT0 + 602));  // a refresh is already under way
  EXPECT_TRUE(cache.RefreshDue(kT0 + 630));       // that one failed: due again after the minimum interval
}

TEST(JwksCache, RefreshInstallsOrKeepsTheCurrentSet) {
  JwksCache cache;
  Pkey a = testing::NewEd25519Key();
  Pkey b = testing::NewEd25519Key();
  const std::string jwks_a = Jwks({PublicJwk(a.get(), "a")});
  EXPECT_EQ(cache.Refresh([&] { return std::optional<std::string>(jwks_a); }, kT0), std::nullopt);
  const auto first = cache.Current();
  EXPECT_EQ(first->size(), 1u);

  EXPECT_EQ(cache.Refresh([] { return std::optional<std::string>(); }, kT0 + 100), JwksError::kUnavailable);
  EXPECT_EQ(cache.Refresh([] { return std::optional<std::string>("{oops"); }, kT0 + 200), JwksError::kMalformed);
  EXPECT_EQ(cache.Current(), first);  // failures keep what worked
  EXPECT_EQ(cache.stats().refresh_failures, 2u);

  const std::string jwks_ab = Jwks({PublicJwk(a.get(), "a"), PublicJwk(b.get(), "b")});
  EXPECT_EQ(cache.Refresh([&] { return std::optional<std::string>(jwks_ab); }, kT0 + 300), std::nullopt);
  EXPECT_EQ(cache.Current()->size(), 2u);
  EXPECT_EQ(first->size(), 1u);  // a reader's snapshot is untouched by the swap
  EXPECT_EQ(cache.stats().installs, 2u);
}

TEST(JwksCache, OneWinnerAmongConcurrentUnknownKids) {
  JwksCache cache;
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (cache.NoteUnknownKid(kT0)) winners.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
}

TEST(JwksCache, ReadersValidateWhileKeySetsAreSwapped) {
  Pkey stable = testing::NewEcP256Key();
  Pkey rotating = testing::NewEd25519Key();
  // Two documents that both hold the stable key: every validation must pass
  // whichever set a reader happens to see.
  const std::string doc1 = Jwks({PublicJwk(stable.get(), "s")});
  const std::string doc2 = Jwks({PublicJwk(stable.get(), "s"), PublicJwk(rotating.get(), "r")});
  JwksCache cache;
  cache.Install(KeySet::FromJwks(doc1).value(), kT0);

  const ValidatorOptions options{.issuer = "https://as", .audience = "https://rs"};
  const std::string token = testing::Sign(stable.get(), "ES256", "s",
                                          {{"iss", "https://as"}, {"aud", "https://rs"}, {"exp", kT0 + 3600}});
  std::atomic<bool> stop{false};
  std::atomic<long> validations{0};
  std::atomic<long> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        const std::shared_ptr<const KeySet> keys = cache.Current();
        if (!ValidateJwt(token, *keys, options, kT0).ok()) failures.fetch_add(1);
        validations.fetch_add(1);
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    cache.Install(KeySet::FromJwks(i % 2 ? doc1 : doc2).value(), kT0 + i);
  }
  // Let every reader finish at least a few validations against the churn.
  while (validations.load() < 400) std::this_thread::yield();
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(cache.stats().installs, 201u);
}

}  // namespace
}  // namespace mcpx::auth
