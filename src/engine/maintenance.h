// Housekeeping the server's parts register once and the engine runs
// periodically: the guards' stale keys (rate-limit buckets that refilled,
// reputations that decayed), so that one timer serves every table instead
// of one timer each.
//
// Tasks run on a worker, one after another, about every `period` (driven by
// the expiry sweep's timer, so by the engine's injected clock). A task is
// the registrant's own bounded cleanup, never a user handler: the registry's
// lock is held while the tasks run, so that removing one (the Handle's
// destructor) waits for a run in progress and the task never outlives what
// it cleans.
//
// Thread safety: safe for concurrent use.
#pragma once

#include <cstdint>
#include <functional>
#include <map>

#include "common/mutex.h"

namespace mcpx::engine {

class Maintenance {
 public:
  using Task = std::function<void(std::int64_t now_ms)>;

  // Removes its task when destroyed.
  class Handle {
   public:
    Handle() = default;
    Handle(Handle&& other) noexcept : owner_(other.owner_), id_(other.id_) { other.owner_ = nullptr; }
    Handle& operator=(Handle&& other) noexcept;
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() { Reset(); }
    void Reset();

   private:
    friend class Maintenance;
    Handle(Maintenance* owner, std::uint64_t id) : owner_(owner), id_(id) {}
    Maintenance* owner_ = nullptr;
    std::uint64_t id_ = 0;
  };

  [[nodiscard]] Handle Add(Task task);
  // Runs every task once, in the order they were added.
  void RunAll(std::int64_t now_ms);
  std::size_t size() const;

 private:
  void Remove(std::uint64_t id);

  mutable Mutex mu_;
  std::map<std::uint64_t, Task> tasks_ ABSL_GUARDED_BY(mu_);
  std::uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace mcpx::engine
