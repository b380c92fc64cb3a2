// JwksCache: the authorization server's current KeySet, shared by every
// request thread, and the policy for when to fetch it again.
//
// Readers call Current() and validate against the snapshot they got; a
// refresh builds a whole new KeySet off to the side and swaps it in (Install),
// so a reader never sees a half-updated set and never waits on a fetch.
// A refresh is due (a) periodically, every `refresh_interval_s`, and (b) when
// a token names a kid the set lacks (the server rotated its keys), but never
// more often than every `min_refresh_interval_s`: tokens with made-up kids
// must not turn us into a load generator against the authorization server.
// A failed refresh keeps the previous set, so an outage of the authorization
// server does not refuse tokens signed with keys we already know.
//
//   // background thread, every few seconds:
//   if (cache.RefreshDue(now)) cache.Refresh([&] { return FetchJwks(jwks_uri); }, now);
//   // request thread, on kUnknownKey:
//   if (cache.NoteUnknownKid(now)) WakeBackgroundThread();
//
// Thread safety: every member may be called from any thread. Current() takes
// a reader lock only for the time of one shared_ptr copy.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "auth/key_set.h"
#include "common/mutex.h"

namespace mcpx::auth {

class JwksCache {
 public:
  // Fetches the JWKS document (jwks_uri); nullopt on any failure. Injected,
  // so that tests need no network and the caller picks the transport.
  using Fetch = std::function<std::optional<std::string>()>;

  struct Options {
    std::int64_t refresh_interval_s = 3600;
    std::int64_t min_refresh_interval_s = 30;
  };

  struct Stats {
    std::uint64_t installs = 0;          // key sets swapped in
    std::uint64_t refresh_failures = 0;  // fetch failed or document refused
    std::uint64_t rate_limited = 0;      // unknown-kid refreshes refused by the minimum interval
  };

  explicit JwksCache(Options options);
  JwksCache() : JwksCache(Options{}) {}

  // The current set (empty before the first Install); never null.
  std::shared_ptr<const KeySet> Current() const;

  // A token named a kid the current set lacks. True when a refresh should
  // start now; the caller that gets true owns that refresh, every other
  // caller within min_refresh_interval_s gets false.
  bool NoteUnknownKid(std::int64_t now_s);

  // Periodic check: true (and owned, as above) when no set was installed yet
  // or the installed one is older than refresh_interval_s, and no refresh
  // started within min_refresh_interval_s.
  bool RefreshDue(std::int64_t now_s);

  // Swaps in a new set. The previous one lives on until its last reader
  // drops it.
  void Install(KeySet keys, std::int64_t now_s);

  // Fetches, parses and installs; on failure keeps the current set and says
  // why (nullopt: installed). Blocking: call from a background thread, after
  // NoteUnknownKid or RefreshDue said so.
  std::optional<JwksError> Refresh(const Fetch& fetch, std::int64_t now_s);

  Stats stats() const;

 private:
  // Claims the right to refresh at `now_s` if the last attempt is at least
  // min_refresh_interval_s old (compare-and-swap: one winner).
  bool ClaimAttempt(std::int64_t now_s);

  const Options options_;
  mutable Mutex mu_;
  // Writers swap it under the exclusive lock; readers copy it under the
  // shared one. (std::atomic<std::shared_ptr> would say the same, but
  // libstdc++ 12's is not lock-free either and ThreadSanitizer reports it.)
  std::shared_ptr<const KeySet> current_ ABSL_GUARDED_BY(mu_);
  static constexpr std::int64_t kNever = INT64_MIN / 2;  // far past, and safe to subtract from
  std::atomic<std::int64_t> last_attempt_s_{kNever};
  std::atomic<std::int64_t> installed_at_s_{kNever};
  std::atomic<std::uint64_t> installs_{0};
  std::atomic<std::uint64_t> refresh_failures_{0};
  std::atomic<std::uint64_t> rate_limited_{0};
};

}  // namespace mcpx::auth
