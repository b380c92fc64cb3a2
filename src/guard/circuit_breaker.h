// Circuit breakers per tool: a tool that keeps failing (or keeps being slow)
// is refused for a while instead of tying up workers, then probed.
//
//   closed ──(failure or slow-call rate over the window, >= min_calls)──► open
//   open ──(open_for elapsed: the next TryAcquire)──► half-open
//   half-open ──(half_open_calls trials all succeed, none slow)──► closed (window reset)
//   half-open ──(any trial fails or is slow)──► open
//
// The window is a ring of `buckets` time buckets covering `window_us`; each
// bucket holds atomic counters (calls, failures, slow calls) and the index of
// the time slice it counts, and is reset lazily, by compare-and-swap on that
// index, by the first result that reuses it. (A result that lands between
// that CAS and the reset of the counters is lost: a few calls per bucket
// boundary at most, which a rate does not notice; no lock is worth that.)
//
// The state is one atomic word, changed only by compare-and-swap, so each
// transition happens once and its counter and callback fire once:
//   bits 0-1 state; closed: bits 2-31 epoch; open: bits 2-63 open-until (us);
//   half-open: bits 2-17 trials admitted, 18-33 trials succeeded, 34-63 epoch.
// Every closed or half-open period has a fresh epoch, and every Permit carries
// the (state, epoch) that admitted it: a result counts only in the period that
// admitted it. So a late result of a call admitted while closed never counts
// as a trial, and a trial that finishes after its half-open period ended
// changes nothing.
//
// Every admitted Permit must be Recorded exactly once (a cancelled call too):
// a half-open period ends only when its trials have reported.
//
// Example (engine::ToolEntry holds one per tool, engine/catalog.h):
//   CircuitBreaker* breaker = entry.breaker.get();
//   Permit permit = breaker ? breaker->TryAcquire(now) : Permit{};
//   if (!permit.allowed) return Unavailable(permit.retry_after_us);
//   ... run the tool ...
//   if (breaker) breaker->Record(permit, failed, duration_us, later);
//
// Thread safety: CircuitBreaker is safe for concurrent use.
// Time is passed in (microseconds of any monotonic clock), so tests drive it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>

namespace mcpx::guard {

enum class BreakerState : std::uint8_t { kClosed = 0, kOpen = 1, kHalfOpen = 2 };

// "closed", "open", "half_open".
std::string_view Name(BreakerState state);

struct BreakerOptions {
  double failure_rate = 0.5;                 // opens at this failure rate; outside (0, 1]: not checked
  double slow_rate = 1.0;                    // opens at this slow-call rate; outside (0, 1]: not checked
  std::int64_t slow_call_us = 10'000'000;    // a call this long or longer is slow
  std::uint32_t min_calls = 20;              // calls in the window before it may open
  std::int64_t window_us = 30'000'000;       // the sliding window
  std::uint32_t buckets = 10;                // its time buckets (1..1024)
  std::int64_t open_for_us = 30'000'000;     // open this long before trials
  std::uint32_t half_open_calls = 3;         // trials admitted in half-open (1..65535)

  bool failure_check() const { return failure_rate > 0 && failure_rate <= 1; }
  bool slow_check() const { return slow_rate > 0 && slow_rate <= 1; }
  bool enabled() const { return failure_check() || slow_check(); }
};

// What TryAcquire decided. A default Permit admits (an unguarded call).
struct Permit {
  bool allowed = true;
  BreakerState state = BreakerState::kClosed;  // the state that decided
  std::int64_t retry_after_us = 0;             // when refused: until trials may be admitted
  std::uint64_t token = 0;                     // opaque: the period that admitted the call

  // Admitted as a half-open trial.
  bool trial() const { return allowed && state == BreakerState::kHalfOpen; }
};

// One tool's breaker. Thread safety: safe for concurrent use (atomics only).
class CircuitBreaker {
 public:
  // Called once per transition, by the thread that made it, outside any lock.
  using TransitionHook = std::function<void(BreakerState from, BreakerState to, std::int64_t now_us)>;

  explicit CircuitBreaker(BreakerOptions options = {});
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // Set before first use (not synchronised with TryAcquire/Record).
  void set_on_transition(TransitionHook hook) { on_transition_ = std::move(hook); }

  // Admits a call (closed; or one of the half-open trials) or refuses it
  // (open; or half-open with every trial slot taken), with how long to wait.
  // Moves open -> half-open once open_for has elapsed. Counts refusals.
  Permit TryAcquire(std::int64_t now_us);

  // The result of a call `permit` admitted: `failed`, and how long it took.
  // No-op for a refused or default Permit.
  void Record(const Permit& permit, bool failed, std::int64_t duration_us, std::int64_t now_us);

  // The state a call at `now_us` would meet (open whose time is up reads as
  // half-open).
  BreakerState state(std::int64_t now_us) const;

  // Counters, for metrics.
  std::uint64_t opened() const { return opened_.load(std::memory_order_relaxed); }
  std::uint64_t half_opened() const { return half_opened_.load(std::memory_order_relaxed); }
  std::uint64_t closed() const { return closed_.load(std::memory_order_relaxed); }
  std::uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }
  // Results of a period that had ended (late closed results, late trials).
  std::uint64_t stale_results() const { return stale_results_.load(std::memory_order_relaxed); }
  bool enabled() const { return options_.enabled(); }

  // The window's sums at `now_us` (for tests and admin listings).
  struct WindowCounts {
    std::uint64_t calls = 0, failures = 0, slow = 0;
  };
  WindowCounts Window(std::int64_t now_us) const;

 private:
  struct alignas(64) Bucket {
    std::atomic<std::int64_t> slice{-1};  // which time slice it counts
    std::atomic<std::uint32_t> calls{0};
    std::atomic<std::uint32_t> failures{0};
    std::atomic<std::uint32_t> slow{0};
  };
  static constexpr std::size_t kMaxBuckets = 1024;

  void AddToWindow(bool failed, bool slow, std::int64_t now_us);
  void ResetWindow();
  bool ShouldOpen(std::int64_t now_us) const;
  // CAS `*seen` -> `next`; on success counts the transition and calls the hook.
  bool Transition(std::uint64_t& seen, std::uint64_t next, std::int64_t now_us);
  std::uint64_t OpenWord(std::int64_t now_us) const;
  std::uint32_t NextEpoch() { return epochs_.fetch_add(1, std::memory_order_relaxed) + 1; }

  const BreakerOptions options_;
  const std::uint32_t half_open_calls_;
  const std::size_t bucket_count_;
  const std::int64_t bucket_us_;

  std::atomic<std::uint64_t> word_;  // see the overview
  std::atomic<std::uint32_t> epochs_{0};
  std::unique_ptr<Bucket[]> buckets_;

  std::atomic<std::uint64_t> opened_{0};
  std::atomic<std::uint64_t> half_opened_{0};
  std::atomic<std::uint64_t> closed_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> stale_results_{0};
  TransitionHook on_transition_;
};

}  // namespace mcpx::guard
