#include "auth/introspector.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <atomic>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <exception>
#include <map>
#include <utility>
#include <vector>

#include "common/mutex.h"
#include "mcpx/json.h"

namespace mcpx::auth {
namespace {

using Outcome = Introspector::Outcome;
using Done = std::function<void(Outcome)>;

std::string Digest(std::string_view token) {
  std::string d(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), reinterpret_cast<unsigned char*>(d.data()));
  return d;
}

// application/x-www-form-urlencoded (RFC 6749 appendix B): every byte outside
// RFC 3986's unreserved set percent-encoded, space as '+'.
std::string FormEncode(std::string_view s) {
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  return boost::urls::encode(s, boost::urls::unreserved_chars, opts);
}

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

// Whether a 200 answer is an introspection answer at all (a JSON object with
// a boolean "active"): one that is not (a proxy's HTML page, a truncated
// body) says nothing about the token, so it is kUnavailable, not a refusal.
bool IsIntrospectionAnswer(std::string_view text) {
  if (text.size() > kMaxIntrospectionBytes) return false;
  boost::system::error_code ec;
  json::parse_options parse_options;
  parse_options.max_depth = 16;
  const json::value doc = json::parse(text, ec, {}, parse_options);
  if (ec || !doc.is_object()) return false;
  const json::value* active = doc.get_object().if_contains("active");
  return active != nullptr && active->is_bool();
}

void CallDone(const Done& done, const Outcome& outcome) noexcept {
  // On the run_blocking thread (or in a destructor) there is nobody to
  // throw to: what a `done` throws is dropped.
  try {
    done(outcome);
  } catch (...) {
  }
}

}  // namespace

std::string BasicAuthorization(std::string_view client_id, std::string_view client_secret) {
  std::string pair = FormEncode(client_id) + ":" + FormEncode(client_secret);
  std::string header = "Basic " + Base64(pair);
  OPENSSL_cleanse(pair.data(), pair.size());
  return header;
}

struct Introspector::State {
  State(Options o, RunBlocking rb, Post p)
      : options(std::move(o)),
        authorization(BasicAuthorization(options.client_id, options.client_secret)),
        run_blocking(std::move(rb)),
        post(std::move(p)),
        cache(options.cache) {}

  // One call to the authorization server; never throws. `cacheable` is set
  // false when the outcome says nothing about the token (kUnavailable).
  Outcome Introspect(std::string_view token, std::int64_t now_s, bool* cacheable) noexcept;
  // Records the outcome and calls every waiter of the flight `digest`.
  void Finish(const std::string& digest, std::string_view token, const Outcome& outcome, bool cacheable,
              std::int64_t now_s) noexcept;

  const Options options;
  const std::string authorization;  // "Basic ...", built once
  const RunBlocking run_blocking;
  const Post post;
  IntrospectionCache cache;

  mutable Mutex mu;
  // In flight: SHA-256 of the token -> the Lookups waiting for its outcome.
  std::map<std::string, std::vector<Done>> pending ABSL_GUARDED_BY(mu);

  std::atomic<std::uint64_t> posts{0};
  std::atomic<std::uint64_t> cache_hits{0};
  std::atomic<std::uint64_t> coalesced{0};
  std::atomic<std::uint64_t> busy{0};
  std::atomic<std::uint64_t> unavailable{0};
};

// The job handed to run_blocking: owns the token for the time of the call,
// and the state. Destroyed without Run (run_blocking dropped or refused the
// job), it still completes the flight, as kUnavailable, so that no waiter is
// forgotten and the token can be introspected again.
struct Introspector::Call {
  Call(std::shared_ptr<State> s, std::string t, std::string d, std::int64_t now)
      : state(std::move(s)), token(std::move(t)), digest(std::move(d)), now_s(now) {}
  ~Call() {
    if (!finished) {
      state->unavailable.fetch_add(1, std::memory_order_relaxed);
      state->Finish(digest, token, TokenError::kUnavailable, false, now_s);
    }
    OPENSSL_cleanse(token.data(), token.size());
  }
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  void Run() noexcept {
    if (finished) return;
    finished = true;
    bool cacheable = true;
    const Outcome outcome = state->Introspect(token, now_s, &cacheable);
    state->Finish(digest, token, outcome, cacheable, now_s);
  }

  const std::shared_ptr<State> state;
  std::string token;
  const std::string digest;
  const std::int64_t now_s;
  // Only the run_blocking thread touches it once the job is handed over.
  bool finished = false;
};

Outcome Introspector::State::Introspect(std::string_view token, std::int64_t now_s, bool* cacheable) noexcept {
  posts.fetch_add(1, std::memory_order_relaxed);
  try {
    std::string body = IntrospectionRequestBody(token);
    Result<HttpReply, FetchError> reply =
        post(options.endpoint, body, kFormContentType, authorization, options.fetch);
    OPENSSL_cleanse(body.data(), body.size());
    if (reply && reply->status == 200) {
      Outcome outcome = ParseIntrospectionResponse(reply->body, options.validator, now_s);
      if (outcome.ok() || outcome.error() != TokenError::kMalformed || IsIntrospectionAnswer(reply->body)) {
        return outcome;
      }
    }
  } catch (...) {
    // bad_alloc, or whatever an injected poster throws: the call failed.
  }
  *cacheable = false;
  unavailable.fetch_add(1, std::memory_order_relaxed);
  return TokenError::kUnavailable;
}

void Introspector::State::Finish(const std::string& digest, std::string_view token, const Outcome& outcome,
                                 bool cacheable, std::int64_t now_s) noexcept {
  // Into the cache before the flight leaves `pending`: a Lookup that finds
  // no flight under the lock then finds the outcome in the cache.
  if (cacheable) {
    try {
      cache.Insert(token, outcome, now_s);
    } catch (...) {
      // bad_alloc: the outcome is still delivered, just not remembered.
    }
  }
  std::vector<Done> waiters;
  {
    MutexLock lock(&mu);
    if (auto it = pending.find(digest); it != pending.end()) {
      waiters = std::move(it->second);
      pending.erase(it);
    }
  }
  for (const Done& done : waiters) CallDone(done, outcome);
}

Introspector::Introspector(Options options, RunBlocking run_blocking, Post post)
    : state_(std::make_shared<State>(std::move(options), std::move(run_blocking), std::move(post))) {}

// Calls in flight hold the state; they finish on their own.
Introspector::~Introspector() = default;

Introspector::Post Introspector::DefaultPost() {
  return [](std::string_view url, std::string_view body, std::string_view content_type,
            std::string_view authorization, const FetchOptions& options) {
    return HttpPost(url, body, content_type, authorization, options);
  };
}

std::optional<Outcome> Introspector::Cached(std::string_view token, std::int64_t now_s) const {
  try {
    return state_->cache.Find(token, now_s);
  } catch (...) {
    return std::nullopt;  // bad_alloc: as if not cached
  }
}

void Introspector::Lookup(std::string token, std::int64_t now_s, std::function<void(Outcome)> done) {
  State& s = *state_;
  if (token.size() > kMaxTokenBytes) {
    if (done) done(Outcome(TokenError::kTooLarge));  // not worth a call, nor a cache entry
    return;
  }
  std::optional<Outcome> hit = Cached(token, now_s);
  if (hit) {
    s.cache_hits.fetch_add(1, std::memory_order_relaxed);
    if (done) done(*hit);
    return;
  }
  std::string digest;
  bool refused = false;
  try {
    digest = Digest(token);
    MutexLock lock(&s.mu);
    if (auto it = s.pending.find(digest); it != s.pending.end()) {
      it->second.push_back(std::move(done));
      s.coalesced.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    // A flight that ended since the first look put its outcome in the cache
    // before leaving `pending` (State::Finish).
    hit = s.cache.Find(token, now_s);
    if (!hit) {
      if (s.pending.size() >= s.options.max_in_flight) {
        refused = true;
      } else {
        s.pending[digest].push_back(std::move(done));
      }
    }
  } catch (...) {
    refused = true;  // bad_alloc
  }
  if (hit || refused) {
    (hit ? s.cache_hits : s.busy).fetch_add(1, std::memory_order_relaxed);
    if (done) done(hit ? *hit : Outcome(TokenError::kUnavailable));
    return;
  }
  // `done` is in `pending` now: from here on the flight answers it, whatever
  // happens (run, dropped, or run_blocking throwing).
  std::shared_ptr<Call> call;
  try {
    call = std::make_shared<Call>(state_, std::move(token), digest, now_s);
  } catch (...) {
    s.unavailable.fetch_add(1, std::memory_order_relaxed);
    s.Finish(digest, {}, TokenError::kUnavailable, false, now_s);
    return;
  }
  try {
    s.run_blocking([call = std::move(call)] { call->Run(); });
  } catch (...) {
    // The job was destroyed unrun: Call's destructor answered the waiters.
  }
}

Introspector::Stats Introspector::stats() const {
  const State& s = *state_;
  return {s.posts.load(std::memory_order_relaxed), s.cache_hits.load(std::memory_order_relaxed),
          s.coalesced.load(std::memory_order_relaxed), s.busy.load(std::memory_order_relaxed),
          s.unavailable.load(std::memory_order_relaxed)};
}

std::size_t Introspector::in_flight() const {
  ReaderMutexLock lock(&state_->mu);
  return state_->pending.size();
}

}  // namespace mcpx::auth
