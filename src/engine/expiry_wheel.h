// When sessions may next expire: a hashed timing wheel of intrusive lists.
//
// A session is linked into the slot of the tick its deadline falls in, once
// when it is published. Activity does not move it (a request only stores its
// time in the session); when its slot comes due the wheel asks for its
// deadline again and either hands it out as expired or relinks it further on.
// A sweep therefore visits each session about once per idle timeout, not once
// per sweep: its cost follows the sessions that come due, never the number
// held. The wheel is split into shards, each with its own lock, and a sweep
// holds a shard's lock for at most a slice of sessions at a time, so that
// publishing and closing sessions wait at most one slice.
//
// Thread safety: safe for concurrent use; Advance runs on one thread at a
// time (the engine's sweep).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "common/intrusive_list.h"
#include "common/mutex.h"

namespace mcpx::engine {

class Session;

class ExpiryWheel {
 public:
  // Sessions are looked at within `tick` after their deadline. Deadlines
  // further than `horizon` ahead wrap around the wheel (they are looked at
  // early, and relinked).
  ExpiryWheel(std::chrono::milliseconds tick, std::chrono::milliseconds horizon);
  ExpiryWheel(const ExpiryWheel&) = delete;
  ExpiryWheel& operator=(const ExpiryWheel&) = delete;

  // Links `session` (not linked yet) to be looked at once `due_ms` passes.
  // `now_ms` starts the wheel's clock on first use. A closed session is not
  // linked: Remove may already have run for it.
  void Add(Session& session, std::int64_t due_ms, std::int64_t now_ms);
  // Unlinks `session` if it is linked. Call after the session is closed.
  void Remove(Session& session);

  // Looks at the sessions whose slot came due by `now_ms`, at most `budget`
  // of them (a sweep in steps calls again with the same `now_ms` until
  // done), and at most `slice` per lock hold. `deadline(s)` says when s
  // expires: a session past it leaves the wheel and `on_expired(id)` runs
  // for it, outside every lock; one with a later deadline is relinked for it.
  struct Progress {
    std::size_t looked = 0;  // sessions looked at
    bool done = true;        // nothing due by now_ms is left
  };
  Progress Advance(std::int64_t now_ms, absl::FunctionRef<std::int64_t(const Session&)> deadline,
                   absl::FunctionRef<void(const std::string&)> on_expired,
                   std::size_t budget = static_cast<std::size_t>(-1), std::size_t slice = 512);

  // Sessions linked (for tests and metrics).
  std::size_t size() const { return size_.load(std::memory_order_relaxed); }
  std::int64_t tick_ms() const { return tick_ms_; }
  std::size_t slots() const { return slots_; }

 private:
  struct alignas(64) Shard {
    Mutex mu;
    std::unique_ptr<ListHead[]> slots ABSL_GUARDED_BY(mu);
    // Sessions of the slot being advanced, taken out of it whole.
    ListHead advancing ABSL_GUARDED_BY(mu);
    // The next tick to advance; -1 until the wheel's clock starts.
    std::int64_t next_tick ABSL_GUARDED_BY(mu) = -1;
  };
  static constexpr std::size_t kShards = 16;

  Shard& ShardOf(const Session& session);
  // The tick `due_ms` is looked at in: the first tick boundary at or after it.
  std::int64_t TickOf(std::int64_t due_ms) const { return (due_ms + tick_ms_ - 1) / tick_ms_; }
  void Link(Shard& shard, Session& session, std::int64_t due_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  // Advances one shard by at most `budget` sessions; true when it is done.
  bool AdvanceShard(Shard& shard, std::int64_t now_ms, absl::FunctionRef<std::int64_t(const Session&)> deadline,
                    absl::FunctionRef<void(const std::string&)> on_expired, std::size_t budget, std::size_t slice,
                    std::size_t* looked);

  const std::int64_t tick_ms_;
  const std::size_t slots_;  // a power of two
  std::atomic<std::size_t> size_{0};
  std::array<Shard, kShards> shards_;
};

}  // namespace mcpx::engine
