// OAuth 2.0 Token Introspection (RFC 7662), the parts that need no network:
// the request body to POST to the authorization server's introspection
// endpoint, the reading of its answer, and a bounded cache of answers. For
// opaque (non-JWT) access tokens; the HTTP call itself is the caller's
// (http_fetch.h), with the resource server's client credentials.
//
//   if (auto hit = cache.Find(token, now)) return *hit;
//   auto reply = HttpPost(endpoint, IntrospectionRequestBody(token), kFormContentType, {basic_auth}, fetch_options);
//   auto who = reply && reply->status == 200 ? ParseIntrospectionResponse(reply->body, options, now)
//                                            : Result<Principal, TokenError>(TokenError::kInactive);
//   cache.Insert(token, who, now);
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "auth/result.h"
#include "auth/token.h"
#include "common/mutex.h"

namespace mcpx::auth {

inline constexpr std::string_view kFormContentType = "application/x-www-form-urlencoded";
inline constexpr std::size_t kMaxIntrospectionBytes = 64 * 1024;

// "token=<percent-encoded token>&token_type_hint=access_token".
std::string IntrospectionRequestBody(std::string_view token);

// "active" must be a boolean: false gives kInactive. An active token then
// passes the same claim checks as a JWT (iss, aud, exp, nbf; exp optional,
// as RFC 7662 makes every member but "active" optional). Thread safety: pure.
Result<Principal, TokenError> ParseIntrospectionResponse(std::string_view json, const ValidatorOptions& options,
                                                         std::int64_t now_s);

// Remembers introspection outcomes, keyed by the SHA-256 of the token: the
// cache never holds a usable token. An accepted token is kept until
// min(exp, now + ttl_s), a refused one for ttl_s (so replaying a bad token
// does not reach the authorization server each time). At most max_entries:
// expired entries go first, then those closest to expiry.
//
// Thread safety: every member may be called from any thread (one mutex; no
// call out is made under it).
class IntrospectionCache {
 public:
  struct Options {
    std::size_t max_entries = 10000;
    std::int64_t ttl_s = 60;
  };
  using Outcome = Result<Principal, TokenError>;

  explicit IntrospectionCache(Options options) : options_(options) {}
  IntrospectionCache() : IntrospectionCache(Options{}) {}

  std::optional<Outcome> Find(std::string_view token, std::int64_t now_s) const;
  void Insert(std::string_view token, const Outcome& outcome, std::int64_t now_s);
  std::size_t size() const;

 private:
  struct Entry {
    Outcome outcome;
    std::int64_t expires_at;
  };
  void EvictLocked(std::int64_t now_s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);  // SHA-256 digest -> outcome
  std::set<std::pair<std::int64_t, std::string>> by_expiry_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mcpx::auth
