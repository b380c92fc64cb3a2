#include "auth/jwks_cache.h"

#include <utility>

namespace mcpx::auth {

JwksCache::JwksCache(Options options)
    : options_(options), current_(std::make_shared<const KeySet>()) {}

std::shared_ptr<const KeySet> JwksCache::Current() const {
  ReaderMutexLock lock(&mu_);
  return current_;
}

bool JwksCache::ClaimAttempt(std::int64_t now_s) {
  std::int64_t last = last_attempt_s_.load(std::memory_order_relaxed);
  while (now_s - last >= options_.min_refresh_interval_s) {
    if (last_attempt_s_.compare_exchange_weak(last, now_s, std::memory_order_relaxed)) return true;
  }
  return false;
}

bool JwksCache::NoteUnknownKid(std::int64_t now_s) {
  if (ClaimAttempt(now_s)) return true;
  rate_limited_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool JwksCache::RefreshDue(std::int64_t now_s) {
  if (now_s - installed_at_s_.load(std::memory_order_relaxed) < options_.refresh_interval_s) return false;
  return ClaimAttempt(now_s);
}

void JwksCache::Install(KeySet keys, std::int64_t now_s) {
  std::shared_ptr<const KeySet> next = std::make_shared<const KeySet>(std::move(keys));
  {
    MutexLock lock(&mu_);
    current_.swap(next);
  }
  // `next` now holds the previous set: released here, outside the lock.
  installed_at_s_.store(now_s, std::memory_order_relaxed);
  // An install counts as an attempt: a kid unknown to the set just fetched
  // does not trigger another fetch right away.
  last_attempt_s_.store(now_s, std::memory_order_relaxed);
  installs_.fetch_add(1, std::memory_order_relaxed);
}

std::optional<JwksError> JwksCache::Refresh(const Fetch& fetch, std::int64_t now_s) {
  std::optional<std::string> body = fetch();
  if (!body) {
    refresh_failures_.fetch_add(1, std::memory_order_relaxed);
    return JwksError::kUnavailable;
  }
  Result<KeySet, JwksError> keys = KeySet::FromJwks(*body);
  if (!keys) {
    refresh_failures_.fetch_add(1, std::memory_order_relaxed);
    return keys.error();
  }
  Install(std::move(keys).value(), now_s);
  return std::nullopt;
}

JwksCache::Stats JwksCache::stats() const {
  return {installs_.load(std::memory_order_relaxed), refresh_failures_.load(std::memory_order_relaxed),
          rate_limited_.load(std::memory_order_relaxed)};
}

}  // namespace mcpx::auth
