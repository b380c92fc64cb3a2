// Introspector: token introspection (RFC 7662) as a service for request
// threads. Wraps the pieces of introspection.h (request body, answer parsing,
// IntrospectionCache) around the blocking HttpPost, made off the I/O threads:
//
//   if (auto hit = introspector.Cached(token, now)) return Decide(*hit);  // no call
//   introspector.Lookup(std::string(token), now, [strand](Introspector::Outcome who) {
//     asio::post(strand, [who = std::move(who)] { Decide(who); });       // on the run_blocking thread
//   });
//
// Lookup answers a cached outcome at once, on the caller's thread. Otherwise
// it runs one POST to the authorization server through `run_blocking` (threads
// that may block; the HTTP transport's auth-call pool), shared by every concurrent Lookup of the same token
// (single flight; keyed by the token's SHA-256), and calls each `done` there.
// At most `max_in_flight` distinct tokens are being introspected at a time;
// a Lookup past that is answered kUnavailable at once.
//
// Outcomes: the principal; a refusal (kInactive for "active": false, or a
// failed claim check: iss, aud, exp, nbf; kMalformed for an unreadable
// answer), cached for the cache's ttl_s so that replaying a bad token does
// not reach the authorization server each time; or kUnavailable (transport
// failure, an answer other than 200, the bound reached, or the job dropped by
// run_blocking), never cached: the authorization server being down must not
// turn into "inactive" for a minute.
//
// The token itself is never logged and never stored: the cache and the
// in-flight table hold its SHA-256; the token lives only in the queued job.
// Untrusted input (the token, the answer) takes the result path; nothing
// thrown by the poster or by run_blocking escapes (both become kUnavailable).
//
// Lifetime: the state a call needs is shared with the queued job, so the
// Introspector may be destroyed while calls are in flight; they complete
// (and call their `done`) later, on the run_blocking thread. A `done` must
// therefore keep alive whatever it touches (weak_ptr/shared_ptr to the
// connection), never the Introspector or its owner by raw pointer. A job that
// run_blocking destroys without running (a pool shutting down) completes its
// waiters with kUnavailable, on the thread that destroys it.
//
// Thread safety: every member may be called from any thread; no lock is held
// while the poster, run_blocking or a `done` runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/http_fetch.h"
#include "auth/introspection.h"
#include "auth/result.h"
#include "auth/token.h"

namespace mcpx::auth {

// The Authorization header value for client_secret_basic (RFC 6749 section
// 2.3.1, RFC 7662 section 2.1): "Basic " + base64(urlencode(id) ":"
// urlencode(secret)), each form-urlencoded first (UTF-8, space as '+').
std::string BasicAuthorization(std::string_view client_id, std::string_view client_secret);

class Introspector {
 public:
  using Outcome = Result<Principal, TokenError>;
  // Runs a blocking job off the I/O threads (the auth-call pool). May
  // run it inline (tests), later, or drop it (destroying it unrun).
  using RunBlocking = std::function<void(std::function<void()>)>;
  // The HTTP POST; HttpPost unless injected (tests need no network).
  using Post = std::function<Result<HttpReply, FetchError>(std::string_view url, std::string_view body,
                                                            std::string_view content_type,
                                                            std::string_view authorization,
                                                            const FetchOptions& options)>;

  struct Options {
    std::string endpoint;       // the introspection endpoint URL
    std::string client_id;      // this resource server's credentials there (HTTP Basic)
    std::string client_secret;
    ValidatorOptions validator;  // iss, aud, leeway (algorithms unused)
    FetchOptions fetch;
    IntrospectionCache::Options cache;
    std::size_t max_in_flight = 64;  // distinct tokens being introspected at once
  };

  struct Stats {
    std::uint64_t posts = 0;        // calls made to the authorization server
    std::uint64_t cache_hits = 0;   // Lookups answered from the cache
    std::uint64_t coalesced = 0;    // Lookups that joined a call already in flight
    std::uint64_t busy = 0;         // Lookups refused: max_in_flight reached
    std::uint64_t unavailable = 0;  // calls that failed (transport, status, dropped job)
  };

  Introspector(Options options, RunBlocking run_blocking, Post post = DefaultPost());
  ~Introspector();
  Introspector(const Introspector&) = delete;
  Introspector& operator=(const Introspector&) = delete;

  // The cached outcome for `token`, if any; makes no call.
  std::optional<Outcome> Cached(std::string_view token, std::int64_t now_s) const;

  // Calls `done` exactly once with the outcome for `token`: at once, on this
  // thread, on a cache hit, when over max_in_flight (kUnavailable) or for a
  // token longer than kMaxTokenBytes (kTooLarge, no call);
  // otherwise on the run_blocking thread once the call (possibly another
  // Lookup's) finishes. `now_s` is the time of the request (the cache
  // reads and writes use it; the answer's exp/nbf are checked against it).
  void Lookup(std::string token, std::int64_t now_s, std::function<void(Outcome)> done);

  Stats stats() const;
  std::size_t in_flight() const;  // distinct tokens being introspected now

  static Post DefaultPost();  // auth::HttpPost

 private:
  struct State;
  struct Call;
  std::shared_ptr<State> state_;
};

}  // namespace mcpx::auth
