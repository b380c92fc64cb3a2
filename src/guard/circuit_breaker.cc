#include "guard/circuit_breaker.h"

#include <algorithm>
#include <utility>

namespace mcpx::guard {

std::string_view Name(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed: return "closed";
    case BreakerState::kOpen: return "open";
    case BreakerState::kHalfOpen: return "half_open";
  }
  return "unknown";
}

namespace {

// The state word (see the header).
constexpr std::uint64_t kStateMask = 3;
constexpr std::uint64_t kEpochMask = (std::uint64_t{1} << 30) - 1;
constexpr std::uint64_t kCountMask = 0xFFFF;
constexpr int kAdmittedShift = 2;
constexpr int kOkShift = 18;
constexpr int kHalfEpochShift = 34;
constexpr std::int64_t kMaxTime = (std::int64_t{1} << 61);
// Set in every token a breaker hands out, so a default Permit (token 0)
// never matches a period.
constexpr std::uint64_t kTokenValid = std::uint64_t{1} << 63;

BreakerState StateOf(std::uint64_t word) { return static_cast<BreakerState>(word & kStateMask); }
std::uint64_t ClosedWord(std::uint32_t epoch) { return (epoch & kEpochMask) << 2; }
std::uint64_t HalfOpenWord(std::uint32_t epoch, std::uint64_t admitted) {
  return ((epoch & kEpochMask) << kHalfEpochShift) | (admitted << kAdmittedShift) |
         static_cast<std::uint64_t>(BreakerState::kHalfOpen);
}
std::int64_t OpenUntil(std::uint64_t word) { return static_cast<std::int64_t>(word >> 2); }
std::uint64_t Admitted(std::uint64_t word) { return (word >> kAdmittedShift) & kCountMask; }
std::uint64_t Succeeded(std::uint64_t word) { return (word >> kOkShift) & kCountMask; }

// The period a word belongs to: state and epoch (not the trial counts).
std::uint64_t TokenOf(std::uint64_t word) {
  switch (StateOf(word)) {
    case BreakerState::kClosed: return kTokenValid | word;
    case BreakerState::kHalfOpen:
      return kTokenValid | ((word >> kHalfEpochShift) << 2) | static_cast<std::uint64_t>(BreakerState::kHalfOpen);
    case BreakerState::kOpen: break;
  }
  return 0;
}

}  // namespace

CircuitBreaker::CircuitBreaker(BreakerOptions options)
    : options_(options),
      half_open_calls_(std::clamp<std::uint32_t>(options.half_open_calls, 1, kCountMask)),
      bucket_count_(std::clamp<std::size_t>(options.buckets, 1, kMaxBuckets)),
      bucket_us_(std::max<std::int64_t>(1, options.window_us / static_cast<std::int64_t>(bucket_count_))),
      word_(ClosedWord(0)),
      buckets_(new Bucket[bucket_count_]) {}

std::uint64_t CircuitBreaker::OpenWord(std::int64_t now_us) const {
  const std::int64_t until = std::clamp<std::int64_t>(now_us + std::max<std::int64_t>(0, options_.open_for_us), 0, kMaxTime);
  return (static_cast<std::uint64_t>(until) << 2) | static_cast<std::uint64_t>(BreakerState::kOpen);
}

bool CircuitBreaker::Transition(std::uint64_t& seen, std::uint64_t next, std::int64_t now_us) {
  const BreakerState from = StateOf(seen);
  if (!word_.compare_exchange_strong(seen, next, std::memory_order_acq_rel, std::memory_order_acquire)) return false;
  const BreakerState to = StateOf(next);
  switch (to) {
    case BreakerState::kOpen: opened_.fetch_add(1, std::memory_order_relaxed); break;
    case BreakerState::kHalfOpen: half_opened_.fetch_add(1, std::memory_order_relaxed); break;
    case BreakerState::kClosed: closed_.fetch_add(1, std::memory_order_relaxed); break;
  }
  if (on_transition_) on_transition_(from, to, now_us);
  return true;
}

Permit CircuitBreaker::TryAcquire(std::int64_t now_us) {
  if (!enabled()) return Permit{};
  std::uint64_t word = word_.load(std::memory_order_acquire);
  for (;;) {
    switch (StateOf(word)) {
      case BreakerState::kClosed:
        return {.allowed = true, .state = BreakerState::kClosed, .token = TokenOf(word)};
      case BreakerState::kOpen: {
        if (const std::int64_t until = OpenUntil(word); now_us < until) {
          rejected_.fetch_add(1, std::memory_order_relaxed);
          return {.allowed = false, .state = BreakerState::kOpen, .retry_after_us = until - now_us};
        }
        // Time is up: this call is the first trial of a new half-open period.
        const std::uint64_t next = HalfOpenWord(NextEpoch(), 1);
        if (Transition(word, next, now_us)) {
          return {.allowed = true, .state = BreakerState::kHalfOpen, .token = TokenOf(next)};
        }
        break;  // `word` reloaded: look again
      }
      case BreakerState::kHalfOpen: {
        if (Admitted(word) >= half_open_calls_) {
          // Every trial slot is taken; their results come within about a
          // slow call's time (or the breaker opens again).
          rejected_.fetch_add(1, std::memory_order_relaxed);
          return {.allowed = false,
                  .state = BreakerState::kHalfOpen,
                  .retry_after_us = std::max<std::int64_t>(1, std::min(options_.open_for_us, options_.slow_call_us))};
        }
        if (word_.compare_exchange_weak(word, word + (std::uint64_t{1} << kAdmittedShift), std::memory_order_acq_rel,
                                        std::memory_order_acquire)) {
          return {.allowed = true, .state = BreakerState::kHalfOpen, .token = TokenOf(word)};
        }
        break;
      }
    }
  }
}

void CircuitBreaker::Record(const Permit& permit, bool failed, std::int64_t duration_us, std::int64_t now_us) {
  if (!permit.allowed || (permit.token & kTokenValid) == 0 || !enabled()) return;
  const bool slow = duration_us >= options_.slow_call_us;
  std::uint64_t word = word_.load(std::memory_order_acquire);
  if (permit.state == BreakerState::kClosed) {
    if (TokenOf(word) != permit.token) {  // that closed period has ended
      stale_results_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    AddToWindow(failed, slow, now_us);
    // Only a bad result can raise a rate. If the CAS fails, another thread
    // moved the state on: nothing left to do.
    if ((failed || slow) && ShouldOpen(now_us)) Transition(word, OpenWord(now_us), now_us);
    return;
  }
  for (;;) {  // a half-open trial
    if (TokenOf(word) != permit.token) {  // its half-open period has ended
      stale_results_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (failed || slow) {
      if (Transition(word, OpenWord(now_us), now_us)) return;
      continue;
    }
    if (Succeeded(word) + 1 >= half_open_calls_) {
      // The last trial succeeded: close with a fresh window. Resetting it
      // before the CAS is harmless if the CAS fails (it is reset at every
      // close), and no result of the new period can be lost to it.
      ResetWindow();
      if (Transition(word, ClosedWord(NextEpoch()), now_us)) return;
      continue;
    }
    if (word_.compare_exchange_weak(word, word + (std::uint64_t{1} << kOkShift), std::memory_order_acq_rel,
                                    std::memory_order_acquire)) {
      return;
    }
  }
}

BreakerState CircuitBreaker::state(std::int64_t now_us) const {
  const std::uint64_t word = word_.load(std::memory_order_acquire);
  if (StateOf(word) == BreakerState::kOpen && now_us >= OpenUntil(word)) return BreakerState::kHalfOpen;
  return StateOf(word);
}

void CircuitBreaker::AddToWindow(bool failed, bool slow, std::int64_t now_us) {
  const std::int64_t slice = std::max<std::int64_t>(0, now_us) / bucket_us_;
  Bucket& bucket = buckets_[static_cast<std::size_t>(slice) % bucket_count_];
  std::int64_t seen = bucket.slice.load(std::memory_order_acquire);
  while (seen != slice) {
    if (seen > slice) return;  // reused by a later slice: this result is older than the window
    if (bucket.slice.compare_exchange_weak(seen, slice, std::memory_order_acq_rel, std::memory_order_acquire)) {
      // Ours: it counted an old slice. (See the header on the results lost here.)
      bucket.calls.store(0, std::memory_order_relaxed);
      bucket.failures.store(0, std::memory_order_relaxed);
      bucket.slow.store(0, std::memory_order_relaxed);
      break;
    }
  }
  bucket.calls.fetch_add(1, std::memory_order_relaxed);
  if (failed) bucket.failures.fetch_add(1, std::memory_order_relaxed);
  if (slow) bucket.slow.fetch_add(1, std::memory_order_relaxed);
}

void CircuitBreaker::ResetWindow() {
  for (std::size_t i = 0; i < bucket_count_; ++i) {
    buckets_[i].slice.store(-1, std::memory_order_release);
    buckets_[i].calls.store(0, std::memory_order_relaxed);
    buckets_[i].failures.store(0, std::memory_order_relaxed);
    buckets_[i].slow.store(0, std::memory_order_relaxed);
  }
}

CircuitBreaker::WindowCounts CircuitBreaker::Window(std::int64_t now_us) const {
  const std::int64_t current = std::max<std::int64_t>(0, now_us) / bucket_us_;
  const auto count = static_cast<std::int64_t>(bucket_count_);
  WindowCounts sums;
  for (std::size_t i = 0; i < bucket_count_; ++i) {
    const Bucket& bucket = buckets_[i];
    const std::int64_t slice = bucket.slice.load(std::memory_order_acquire);
    if (slice < 0 || slice > current || slice <= current - count) continue;
    sums.calls += bucket.calls.load(std::memory_order_relaxed);
    sums.failures += bucket.failures.load(std::memory_order_relaxed);
    sums.slow += bucket.slow.load(std::memory_order_relaxed);
  }
  return sums;
}

bool CircuitBreaker::ShouldOpen(std::int64_t now_us) const {
  const WindowCounts sums = Window(now_us);
  if (sums.calls == 0 || sums.calls < options_.min_calls) return false;
  const auto calls = static_cast<double>(sums.calls);
  return (options_.failure_check() && static_cast<double>(sums.failures) >= options_.failure_rate * calls) ||
         (options_.slow_check() && static_cast<double>(sums.slow) >= options_.slow_rate * calls);
}

}  // namespace mcpx::guard
