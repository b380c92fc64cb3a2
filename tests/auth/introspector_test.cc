// Introspector: the asynchronous, bounded, single-flight introspection client.
// A fake poster stands in for the authorization server and a manual queue for
// the worker pool, so every interleaving here is deterministic; the last tests
// use real threads (for ThreadSanitizer).
#include "auth/introspector.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "mcpx/json.h"

namespace mcpx::auth {
namespace {

constexpr std::int64_t kNow = 1'750'000'000;
constexpr char kIssuer[] = "https://as.example.com";
constexpr char kResource[] = "https://mcp.example.com/mcp";
constexpr char kEndpoint[] = "https://as.example.com/token/introspection";

using Outcome = Introspector::Outcome;

std::string ActiveAnswer(const std::string& sub, std::int64_t exp = kNow + 300) {
  return json::serialize(json::object{{"active", true}, {"iss", kIssuer}, {"aud", kResource}, {"sub", sub},
                                      {"client_id", "c1"}, {"scope", "mcp:tools"}, {"exp", exp}});
}

// The authorization server: answers each POST with what `answer` says, and
// records what it was sent. Thread-safe.
class FakeAs {
 public:
  using Answer = std::function<Result<HttpReply, FetchError>(const std::string& token)>;
  explicit FakeAs(Answer answer) : answer_(std::move(answer)) {}

  Introspector::Post Poster() {
    return [this](std::string_view url, std::string_view body, std::string_view content_type,
                  std::string_view authorization, const FetchOptions&) {
      {
        std::lock_guard lock(mu_);
        requests_.push_back({std::string(url), std::string(body), std::string(content_type),
                             std::string(authorization)});
      }
      const std::string_view prefix = "token=";
      std::string token(body.substr(prefix.size(), body.find('&') - prefix.size()));
      return answer_(token);
    };
  }
  struct Request {
    std::string url, body, content_type, authorization;
  };
  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::size_t posts() const { return requests().size(); }

 private:
  Answer answer_;
  mutable std::mutex mu_;
  std::vector<Request> requests_;
};

Result<HttpReply, FetchError> Ok(std::string body) { return HttpReply{200, "application/json", std::move(body)}; }

// The worker pool, drained by hand.
struct ManualPool {
  std::deque<std::function<void()>> jobs;
  Introspector::RunBlocking RunBlocking() {
    return [this](std::function<void()> job) { jobs.push_back(std::move(job)); };
  }
  void Drain() {
    while (!jobs.empty()) {
      std::function<void()> job = std::move(jobs.front());
      jobs.pop_front();
      job();
    }
  }
};

Introspector::Options Options(std::size_t max_in_flight = 64) {
  Introspector::Options o;
  o.endpoint = kEndpoint;
  o.client_id = "mcp-resource";
  o.client_secret = "s3cret";
  o.validator = {.issuer = kIssuer, .audience = kResource};
  o.cache.ttl_s = 60;
  o.max_in_flight = max_in_flight;
  return o;
}

// Collects the outcomes given to `done`.
struct Outcomes {
  std::vector<Outcome> got;
  std::function<void(Outcome)> Done() {
    return [this](Outcome o) { got.push_back(std::move(o)); };
  }
};

TokenError ErrorOf(const Outcome& o) {
  EXPECT_FALSE(o.ok());
  return o.ok() ? TokenError::kMalformed : o.error();
}

TEST(Introspector, BasicAuthorizationEncodesBeforeBase64) {
  // RFC 6749 section 2.3.1's example client.
  EXPECT_EQ(BasicAuthorization("s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw"),
            "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3");
  // base64("a+b%3Ac:p%3Ass%2F%2B%C3%A9%25"): space as '+', the rest percent-encoded.
  EXPECT_EQ(BasicAuthorization("a b:c", "p:ss/+\xC3\xA9%"), "Basic YStiJTNBYzpwJTNBc3MlMkYlMkIlQzMlQTklMjU=");
  EXPECT_EQ(BasicAuthorization("", ""), "Basic Og==");
}

TEST(Introspector, PostsTheRequestWithClientCredentials) {
  FakeAs as([](const std::string&) { return Ok(ActiveAnswer("u1")); });
  ManualPool pool;
  Introspector in(Options(), pool.RunBlocking(), as.Poster());
  Outcomes out;
  in.Lookup("tok/1", kNow, out.Done());
  pool.Drain();
  auto requests = as.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].url, kEndpoint);
  EXPECT_EQ(requests[0].body, "token=tok%2F1&token_type_hint=access_token");
  EXPECT_EQ(requests[0].content_type, kFormContentType);
  EXPECT_EQ(requests[0].authorization, BasicAuthorization("mcp-resource", "s3cret"));
}

TEST(Introspector, MissThenHit) {
  FakeAs as([](const std::string&) { return Ok(ActiveAnswer("u1")); });
  ManualPool pool;
  Introspector in(Options(), pool.RunBlocking(), as.Poster());
  EXPECT_FALSE(in.Cached("t1", kNow).has_value());  // Cached makes no call
  EXPECT_TRUE(pool.jobs.empty());
  Outcomes out;
  in.Lookup("t1", kNow, out.Done());
  EXPECT_TRUE(out.got.empty());  // a miss answers on the pool
  EXPECT_EQ(in.in_flight(), 1u);
  pool.Drain();
  ASSERT_EQ(out.got.size(), 1u);
  ASSERT_TRUE(out.got[0].ok());
  EXPECT_EQ(out.got[0]->subject, "u1");
  EXPECT_EQ(in.in_flight(), 0u);

  auto cached = in.Cached("t1", kNow + 10);
  ASSERT_TRUE(cached && cached->ok());
  EXPECT_EQ((*cached)->subject, "u1");
  in.Lookup("t1", kNow + 10, out.Done());  // a hit answers at once, no job
  ASSERT_EQ(out.got.size(), 2u);
  EXPECT_TRUE(pool.jobs.empty());
  EXPECT_EQ(as.posts(), 1u);
  EXPECT_EQ(in.stats().cache_hits, 1u);

  // Past the TTL the token is asked about again.
  in.Lookup("t1", kNow + 61, out.Done());
  pool.Drain();
  EXPECT_EQ(as.posts(), 2u);
  ASSERT_EQ(out.got.size(), 3u);
}

TEST(Introspector, ConcurrentLookupsShareOneCall) {
  FakeAs as([](const std::string& t) { return Ok(ActiveAnswer("sub-" + t)); });
  ManualPool pool;
  Introspector in(Options(), pool.RunBlocking(), as.Poster());
  Outcomes out;
  for (int i = 0; i < 10; ++i) in.Lookup("same", kNow, out.Done());
  in.Lookup("other", kNow, out.Done());
  EXPECT_EQ(pool.jobs.size(), 2u);
  EXPECT_EQ(in.in_flight(), 2u);
  pool.Drain();
  EXPECT_EQ(as.posts(), 2u);
  ASSERT_EQ(out.got.size(), 11u);
  int same = 0;
  for (const Outcome& o : out.got) {
    ASSERT_TRUE(o.ok());
    same += o->subject == "sub-same";
  }
  EXPECT_EQ(same, 10);
  EXPECT_EQ(in.stats().coalesced, 9u);
}

TEST(Introspector, OverTheBoundIsUnavailableAtOnceAndNotCached) {
  FakeAs as([](const std::string& t) { return Ok(ActiveAnswer(t)); });
  ManualPool pool;
  Introspector in(Options(2), pool.RunBlocking(), as.Poster());
  Outcomes out;
  in.Lookup("a", kNow, out.Done());
  in.Lookup("b", kNow, out.Done());
  in.Lookup("a", kNow, out.Done());  // joins a flight: not over the bound
  EXPECT_TRUE(out.got.empty());
  in.Lookup("c", kNow, out.Done());
  ASSERT_EQ(out.got.size(), 1u);
  EXPECT_EQ(ErrorOf(out.got[0]), TokenError::kUnavailable);
  EXPECT_EQ(in.stats().busy, 1u);
  EXPECT_FALSE(in.Cached("c", kNow).has_value());
  pool.Drain();
  EXPECT_EQ(out.got.size(), 4u);
  EXPECT_EQ(as.posts(), 2u);
  // Room again.
  in.Lookup("c", kNow, out.Done());
  pool.Drain();
  ASSERT_EQ(out.got.size(), 5u);
  EXPECT_TRUE(out.got[4].ok());
}

TEST(Introspector, FailuresAreUnavailableAndNotCached) {
  int mode = 0;
  FakeAs as([&mode](const std::string&) -> Result<HttpReply, FetchError> {
    switch (mode) {
      case 0: return FetchError::kConnect;
      case 1: return FetchError::kTimeout;
      case 2: return HttpReply{500, "application/json", R"({"active":false})"};
      case 3: return HttpReply{401, "application/json", R"({"error":"invalid_client"})"};
      case 4: return Ok("<html>proxy error</html>");
      case 5: return Ok(R"({"active":"yes"})");
      case 6: throw std::runtime_error("poster failed");
      default: return Ok(ActiveAnswer("u1"));
    }
  });
  ManualPool pool;
  Introspector in(Options(), pool.RunBlocking(), as.Poster());
  for (mode = 0; mode <= 7; ++mode) {
    Outcomes out;
    in.Lookup("t1", kNow, out.Done());
    pool.Drain();
    ASSERT_EQ(out.got.size(), 1u) << mode;
    if (mode < 7) {
      EXPECT_EQ(ErrorOf(out.got[0]), TokenError::kUnavailable) << mode;
      EXPECT_FALSE(in.Cached("t1", kNow).has_value()) << mode;
    } else {
      EXPECT_TRUE(out.got[0].ok());
    }
  }
  EXPECT_EQ(as.posts(), 8u);  // every failure left the token to be asked again
  EXPECT_EQ(in.stats().unavailable, 7u);
}

TEST(Introspector, RefusalsAreCached) {
  FakeAs as([](const std::string& t) -> Result<HttpReply, FetchError> {
    if (t == "inactive") return Ok(R"({"active":false})");
    json::object o = json::parse(ActiveAnswer("u1")).as_object();
    if (t == "foreign") o["aud"] = "https://other.example.com/mcp";
    if (t == "expired") o["exp"] = kNow - 3600;
    return Ok(json::serialize(o));
  });
  ManualPool pool;
  Introspector in(Options(), pool.RunBlocking(), as.Poster());
  const std::pair<std::string, TokenError> cases[] = {{"inactive", TokenError::kInactive},
                                                      {"foreign", TokenError::kWrongAudience},
                                                      {"expired", TokenError::kExpired}};
  for (const auto& [token, error] : cases) {
    Outcomes out;
    in.Lookup(token, kNow, out.Done());
    pool.Drain();
    ASSERT_EQ(out.got.size(), 1u);
    EXPECT_EQ(ErrorOf(out.got[0]), error) << token;
    auto cached = in.Cached(token, kNow + 30);
    ASSERT_TRUE(cached.has_value()) << token;
    EXPECT_EQ(ErrorOf(*cached), error);
    in.Lookup(token, kNow + 30, out.Done());
    ASSERT_EQ(out.got.size(), 2u);
    EXPECT_EQ(ErrorOf(out.got[1]), error);
  }
  EXPECT_EQ(as.posts(), 3u);
}

TEST(Introspector, DestroyedWithACallInFlight) {
  FakeAs as([](const std::string&) { return Ok(ActiveAnswer("u1")); });
  ManualPool pool;
  auto in = std::make_unique<Introspector>(Options(), pool.RunBlocking(), as.Poster());
  Outcomes out;
  in->Lookup("t1", kNow, out.Done());
  in->Lookup("t1", kNow, out.Done());
  in.reset();
  pool.Drain();  // the job holds what it needs
  ASSERT_EQ(out.got.size(), 2u);
  EXPECT_TRUE(out.got[0].ok() && out.got[1].ok());
  EXPECT_EQ(as.posts(), 1u);
}

TEST(Introspector, DroppedJobAnswersUnavailable) {
  FakeAs as([](const std::string&) { return Ok(ActiveAnswer("u1")); });
  ManualPool pool;
  Introspector in(Options(), pool.RunBlocking(), as.Poster());
  Outcomes out;
  in.Lookup("t1", kNow, out.Done());
  in.Lookup("t1", kNow, out.Done());
  pool.jobs.clear();  // a pool shutting down
  ASSERT_EQ(out.got.size(), 2u);
  EXPECT_EQ(ErrorOf(out.got[0]), TokenError::kUnavailable);
  EXPECT_EQ(ErrorOf(out.got[1]), TokenError::kUnavailable);
  EXPECT_EQ(in.in_flight(), 0u);
  EXPECT_FALSE(in.Cached("t1", kNow).has_value());
  in.Lookup("t1", kNow, out.Done());  // not stuck behind the dropped flight
  pool.Drain();
  ASSERT_EQ(out.got.size(), 3u);
  EXPECT_TRUE(out.got[2].ok());
}

TEST(Introspector, OversizedTokenIsRefusedWithoutACall) {
  FakeAs as([](const std::string&) { return Ok(ActiveAnswer("u1")); });
  ManualPool pool;
  Introspector in(Options(), pool.RunBlocking(), as.Poster());
  Outcomes out;
  in.Lookup(std::string(kMaxTokenBytes + 1, 'a'), kNow, out.Done());
  ASSERT_EQ(out.got.size(), 1u);
  EXPECT_EQ(ErrorOf(out.got[0]), TokenError::kTooLarge);
  EXPECT_TRUE(pool.jobs.empty());
}

TEST(Introspector, RunBlockingThatThrows) {
  FakeAs as([](const std::string&) { return Ok(ActiveAnswer("u1")); });
  Introspector in(Options(), [](std::function<void()>) { throw std::runtime_error("pool full"); }, as.Poster());
  Outcomes out;
  EXPECT_NO_THROW(in.Lookup("t1", kNow, out.Done()));
  ASSERT_EQ(out.got.size(), 1u);
  EXPECT_EQ(ErrorOf(out.got[0]), TokenError::kUnavailable);
  EXPECT_EQ(in.in_flight(), 0u);
  EXPECT_EQ(as.posts(), 0u);
}

// A small worker pool with real threads.
class ThreadPool {
 public:
  explicit ThreadPool(int n) {
    for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  Introspector::RunBlocking RunBlocking() {
    return [this](std::function<void()> job) {
      {
        std::lock_guard lock(mu_);
        jobs_.push_back(std::move(job));
      }
      cv_.notify_one();
    };
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// Counts outcomes from any thread; Wait blocks until `n` arrived.
class Countdown {
 public:
  void Add(bool ok) {
    std::lock_guard lock(mu_);
    ++count_;
    ok_ += ok;
    cv_.notify_all();
  }
  void Wait(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return count_ >= n; });
  }
  int ok() {
    std::lock_guard lock(mu_);
    return ok_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
  int ok_ = 0;
};

TEST(Introspector, ThreadsShareCallsAndCache) {
  FakeAs as([](const std::string& t) { return Ok(ActiveAnswer(t)); });
  ThreadPool pool(4);
  Introspector in(Options(), pool.RunBlocking(), as.Poster());
  constexpr int kThreads = 6, kPerThread = 200, kTokens = 16;
  Countdown done;
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string token = "tok" + std::to_string((i + t) % kTokens);
        in.Lookup(token, kNow, [&done, token](Outcome o) { done.Add(o.ok() && o->subject == token); });
        (void)in.Cached(token, kNow);
      }
    });
  }
  for (auto& c : callers) c.join();
  done.Wait(kThreads * kPerThread);
  EXPECT_EQ(done.ok(), kThreads * kPerThread);
  // Single flight plus the cache: each token reached the AS exactly once.
  EXPECT_EQ(as.posts(), static_cast<std::size_t>(kTokens));
  EXPECT_EQ(in.in_flight(), 0u);
}

TEST(Introspector, ThreadsDestroyWhileInFlight) {
  // The AS answers only once the Introspector is gone.
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  FakeAs as([&](const std::string&) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
    return Ok(ActiveAnswer("u1"));
  });
  Countdown done;
  {
    ThreadPool pool(2);
    {
      Introspector in(Options(), pool.RunBlocking(), as.Poster());
      for (int i = 0; i < 8; ++i) {
        in.Lookup("t" + std::to_string(i % 3), kNow, [&done](Outcome o) { done.Add(o.ok()); });
      }
    }
    {
      std::lock_guard lock(mu);
      release = true;
    }
    cv.notify_all();
    done.Wait(8);
  }
  EXPECT_EQ(done.ok(), 8);
  EXPECT_EQ(as.posts(), 3u);
}

}  // namespace
}  // namespace mcpx::auth
