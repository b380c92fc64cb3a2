#include "guard/circuit_breaker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace mcpx::guard {
namespace {

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kMs = 1'000;
constexpr std::int64_t kT0 = 1000 * kSecond;

// 10 calls minimum, a 10 s window of 10 buckets, open 5 s, 3 trials, 1 s is slow.
BreakerOptions TestOptions() {
  return {.failure_rate = 0.5,
          .slow_rate = 2,  // off unless a test turns it on
          .slow_call_us = kSecond,
          .min_calls = 10,
          .window_us = 10 * kSecond,
          .buckets = 10,
          .open_for_us = 5 * kSecond,
          .half_open_calls = 3};
}

// One admitted call that finishes at once with `failed`.
void Call(CircuitBreaker& breaker, bool failed, std::int64_t now_us, std::int64_t duration_us = kMs) {
  const Permit permit = breaker.TryAcquire(now_us);
  ASSERT_TRUE(permit.allowed);
  breaker.Record(permit, failed, duration_us, now_us);
}

// Opens the breaker at `now_us` with min_calls failures.
void Trip(CircuitBreaker& breaker, std::int64_t now_us) {
  for (int i = 0; i < 10; ++i) Call(breaker, true, now_us);
  ASSERT_EQ(breaker.state(now_us), BreakerState::kOpen);
}

TEST(CircuitBreaker, StaysClosedBelowMinCalls) {
  CircuitBreaker breaker(TestOptions());
  for (int i = 0; i < 9; ++i) Call(breaker, true, kT0);
  EXPECT_EQ(breaker.state(kT0), BreakerState::kClosed);
  EXPECT_EQ(breaker.Window(kT0).failures, 9u);
  Call(breaker, true, kT0);  // the 10th call: 100 % failures
  EXPECT_EQ(breaker.state(kT0), BreakerState::kOpen);
  EXPECT_EQ(breaker.opened(), 1u);
}

TEST(CircuitBreaker, OpensWhenTheFailureRateReachesTheThreshold) {
  CircuitBreaker breaker(TestOptions());
  for (int i = 0; i < 6; ++i) Call(breaker, false, kT0 + i * kMs);
  for (int i = 0; i < 5; ++i) Call(breaker, true, kT0 + 10 * kMs);  // 5/11
  EXPECT_EQ(breaker.state(kT0 + 10 * kMs), BreakerState::kClosed);
  Call(breaker, true, kT0 + 10 * kMs);  // 6/12 = 0.5
  EXPECT_EQ(breaker.state(kT0 + 10 * kMs), BreakerState::kOpen);
}

TEST(CircuitBreaker, OpensWhenTheSlowCallRateReachesTheThreshold) {
  BreakerOptions options = TestOptions();
  options.failure_rate = 0;  // only slowness counts
  options.slow_rate = 0.5;
  CircuitBreaker breaker(options);
  for (int i = 0; i < 10; ++i) Call(breaker, true, kT0);  // failures do not count now
  EXPECT_EQ(breaker.state(kT0), BreakerState::kClosed);
  for (int i = 0; i < 9; ++i) Call(breaker, false, kT0, kSecond);  // 9 slow of 19
  EXPECT_EQ(breaker.state(kT0), BreakerState::kClosed);
  EXPECT_EQ(breaker.Window(kT0).slow, 9u);
  Call(breaker, false, kT0, 2 * kSecond);  // 10 of 20
  EXPECT_EQ(breaker.state(kT0), BreakerState::kOpen);
}

TEST(CircuitBreaker, RefusesWhileOpenWithTheTimeLeft) {
  CircuitBreaker breaker(TestOptions());
  Trip(breaker, kT0);
  Permit permit = breaker.TryAcquire(kT0 + kSecond);
  EXPECT_FALSE(permit.allowed);
  EXPECT_EQ(permit.state, BreakerState::kOpen);
  EXPECT_EQ(permit.retry_after_us, 4 * kSecond);
  permit = breaker.TryAcquire(kT0 + 5 * kSecond - 1);
  EXPECT_FALSE(permit.allowed);
  EXPECT_EQ(permit.retry_after_us, 1);
  EXPECT_EQ(breaker.rejected(), 2u);
  // Recording a refused permit is a no-op.
  breaker.Record(permit, false, 0, kT0 + kSecond);
  EXPECT_EQ(breaker.state(kT0 + kSecond), BreakerState::kOpen);
  // Time up: it reads as half-open, and the next call is a trial.
  EXPECT_EQ(breaker.state(kT0 + 5 * kSecond), BreakerState::kHalfOpen);
  permit = breaker.TryAcquire(kT0 + 5 * kSecond);
  EXPECT_TRUE(permit.trial());
  EXPECT_EQ(breaker.half_opened(), 1u);
}

TEST(CircuitBreaker, SuccessfulTrialsCloseItWithAFreshWindow) {
  CircuitBreaker breaker(TestOptions());
  std::vector<std::tuple<BreakerState, BreakerState>> transitions;
  breaker.set_on_transition([&](BreakerState from, BreakerState to, std::int64_t) { transitions.emplace_back(from, to); });
  Trip(breaker, kT0);
  const std::int64_t t = kT0 + 5 * kSecond;
  std::vector<Permit> trials;
  for (int i = 0; i < 3; ++i) trials.push_back(breaker.TryAcquire(t));
  for (const Permit& p : trials) EXPECT_TRUE(p.trial());
  const Permit fourth = breaker.TryAcquire(t);
  EXPECT_FALSE(fourth.allowed);  // all trial slots taken
  EXPECT_EQ(fourth.state, BreakerState::kHalfOpen);
  EXPECT_GT(fourth.retry_after_us, 0);
  breaker.Record(trials[0], false, kMs, t);
  breaker.Record(trials[1], false, kMs, t);
  EXPECT_EQ(breaker.state(t), BreakerState::kHalfOpen);
  breaker.Record(trials[2], false, kMs, t);
  EXPECT_EQ(breaker.state(t), BreakerState::kClosed);
  EXPECT_EQ(breaker.closed(), 1u);
  EXPECT_EQ(breaker.Window(t).calls, 0u);  // the failures that opened it are gone
  Call(breaker, true, t);
  EXPECT_EQ(breaker.state(t), BreakerState::kClosed);
  ASSERT_EQ(transitions.size(), 3u);
  EXPECT_EQ(transitions[0], std::make_tuple(BreakerState::kClosed, BreakerState::kOpen));
  EXPECT_EQ(transitions[1], std::make_tuple(BreakerState::kOpen, BreakerState::kHalfOpen));
  EXPECT_EQ(transitions[2], std::make_tuple(BreakerState::kHalfOpen, BreakerState::kClosed));
}

TEST(CircuitBreaker, AFailedOrSlowTrialOpensItAgain) {
  CircuitBreaker breaker(TestOptions());
  Trip(breaker, kT0);
  std::int64_t t = kT0 + 5 * kSecond;
  Permit first = breaker.TryAcquire(t);
  Permit second = breaker.TryAcquire(t);
  breaker.Record(first, false, kMs, t);
  breaker.Record(second, true, kMs, t);  // failed
  EXPECT_EQ(breaker.state(t), BreakerState::kOpen);
  EXPECT_EQ(breaker.opened(), 2u);
  EXPECT_EQ(breaker.TryAcquire(t).retry_after_us, 5 * kSecond);
  t += 5 * kSecond;
  Permit slow = breaker.TryAcquire(t);
  ASSERT_TRUE(slow.trial());
  breaker.Record(slow, false, 2 * kSecond, t);  // succeeded, but slow
  EXPECT_EQ(breaker.state(t), BreakerState::kOpen);
  EXPECT_EQ(breaker.opened(), 3u);
}

// Calls admitted while closed that finish after it opened are not trials:
// they can neither close it nor use up the trials.
TEST(CircuitBreaker, LateResultsFromBeforeOpeningDoNotCloseIt) {
  CircuitBreaker breaker(TestOptions());
  std::vector<Permit> slow_calls;
  for (int i = 0; i < 5; ++i) slow_calls.push_back(breaker.TryAcquire(kT0));
  Trip(breaker, kT0);
  const std::int64_t t = kT0 + 5 * kSecond;
  const Permit trial = breaker.TryAcquire(t);
  ASSERT_TRUE(trial.trial());
  for (const Permit& p : slow_calls) breaker.Record(p, false, kMs, t);  // late successes
  EXPECT_EQ(breaker.state(t), BreakerState::kHalfOpen);
  EXPECT_EQ(breaker.stale_results(), 5u);
  // A trial of an ended half-open period is stale too.
  breaker.Record(trial, true, kMs, t);
  EXPECT_EQ(breaker.state(t), BreakerState::kOpen);
  const std::int64_t t2 = t + 5 * kSecond;
  const Permit new_trial = breaker.TryAcquire(t2);
  ASSERT_TRUE(new_trial.trial());
  breaker.Record(trial, true, kMs, t2);  // the old trial reported twice: ignored
  EXPECT_EQ(breaker.state(t2), BreakerState::kHalfOpen);
  EXPECT_EQ(breaker.stale_results(), 6u);
  // And after closing, a result from the closed period before is stale.
  for (int i = 0; i < 2; ++i) breaker.Record(breaker.TryAcquire(t2), false, kMs, t2);
  breaker.Record(new_trial, false, kMs, t2);
  EXPECT_EQ(breaker.state(t2), BreakerState::kClosed);
  breaker.Record(slow_calls[0], true, kMs, t2);
  EXPECT_EQ(breaker.Window(t2).calls, 0u);
}

TEST(CircuitBreaker, TheSlidingWindowForgetsOldFailures) {
  CircuitBreaker breaker(TestOptions());
  for (int i = 0; i < 9; ++i) Call(breaker, true, kT0);  // below min_calls
  // Ten seconds on, those failures have left the window.
  const std::int64_t t = kT0 + 10 * kSecond;
  for (int i = 0; i < 9; ++i) Call(breaker, false, t);
  Call(breaker, true, t);  // 1 failure in 10: were the old ones kept, 10 in 19
  EXPECT_EQ(breaker.state(t), BreakerState::kClosed);
  EXPECT_EQ(breaker.Window(t).calls, 10u);
  EXPECT_EQ(breaker.Window(t).failures, 1u);
  // Within the window, buckets add up.
  for (int i = 0; i < 8; ++i) Call(breaker, true, t + 9 * kSecond);
  EXPECT_EQ(breaker.Window(t + 9 * kSecond).calls, 18u);
  EXPECT_EQ(breaker.state(t + 9 * kSecond), BreakerState::kOpen);  // 9 of 18
}

TEST(CircuitBreaker, DisabledItAdmitsEverything) {
  BreakerOptions options = TestOptions();
  options.failure_rate = 0;
  options.slow_rate = 1.5;
  CircuitBreaker breaker(options);
  EXPECT_FALSE(breaker.enabled());
  for (int i = 0; i < 100; ++i) Call(breaker, true, kT0);
  EXPECT_EQ(breaker.state(kT0), BreakerState::kClosed);
  EXPECT_EQ(Name(BreakerState::kHalfOpen), "half_open");
}

// Many threads at the instant open_for runs out: exactly half_open_calls
// trials are admitted, the half-open transition happens once.
TEST(CircuitBreakerConcurrency, HalfOpenAdmitsExactlyTheTrials) {
  CircuitBreaker breaker(TestOptions());
  std::atomic<int> transitions{0};
  breaker.set_on_transition([&](BreakerState, BreakerState to, std::int64_t) {
    if (to == BreakerState::kHalfOpen) ++transitions;
  });
  Trip(breaker, kT0);
  const std::int64_t t = kT0 + 5 * kSecond;
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  std::vector<std::vector<Permit>> trials(4);
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < 500; ++i) {
        if (Permit p = breaker.TryAcquire(t); p.allowed) {
          ++admitted;
          trials[th].push_back(p);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(admitted.load(), 3);
  EXPECT_EQ(transitions.load(), 1);
  EXPECT_EQ(breaker.rejected(), 4u * 500 - 3);
  // Their successes, reported from three threads, close it exactly once.
  threads.clear();
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      for (const Permit& p : trials[th]) breaker.Record(p, false, kMs, t);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(breaker.state(t), BreakerState::kClosed);
  EXPECT_EQ(breaker.closed(), 1u);
}

// A tool that fails at random under load, from several threads: no race
// (TSan), and the transitions stay consistent.
TEST(CircuitBreakerConcurrency, MixedTrafficKeepsTheStateMachineConsistent) {
  CircuitBreaker even(TestOptions());
  CircuitBreaker odd(TestOptions());
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3000; ++i) {
        const std::int64_t now = kT0 + i * 10 * kMs;  // 30 s in all: several open/close cycles
        CircuitBreaker* breaker = i % 2 == 0 ? &even : &odd;
        const Permit p = breaker->TryAcquire(now);
        if (p.allowed) breaker->Record(p, (i / 300) % 2 == 0, (i % 7) * 200 * kMs, now);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const CircuitBreaker* breaker : {&even, &odd}) {
    EXPECT_GE(breaker->opened(), breaker->closed());
    EXPECT_LE(breaker->opened(), breaker->half_opened() + 1);
    EXPECT_GE(breaker->opened(), 1u);
  }
}

}  // namespace
}  // namespace mcpx::guard
