// The requests running now, in the order they started: what the watchdog
// and the shutdown drain look at, so that neither walks the sessions.
//
// Every request the engine dispatches (session, stateless or stdio) is
// linked here while it runs; a request links itself out when it completes
// (or is destroyed). Shards, picked by the request's address, each keep two
// intrusive lists: running requests oldest first, and those the watchdog has
// already looked at (overdue, or meant to stay open). A watchdog tick
// therefore costs O(requests that became overdue) plus one look per shard.
//
// Thread safety: safe for concurrent use. Callbacks run with no lock held.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/functional/function_ref.h"
#include "common/intrusive_list.h"
#include "common/mutex.h"

namespace mcpx::engine {

class RequestState;

class InflightRequests {
 public:
  InflightRequests() = default;
  InflightRequests(const InflightRequests&) = delete;
  InflightRequests& operator=(const InflightRequests&) = delete;

  // Links `request` (once), ordered by its started_us().
  void Add(RequestState& request);
  // Unlinks it if linked.
  void Remove(RequestState& request);

  // Moves every request that started before `cutoff_us` out of the running
  // lists (each is handed out once) and calls `fn` for each still alive.
  std::size_t TakeStartedBefore(std::int64_t cutoff_us,
                                absl::FunctionRef<void(const std::shared_ptr<RequestState>&)> fn);
  // Calls `fn` for every linked request still alive (shutdown).
  void ForEach(absl::FunctionRef<void(const std::shared_ptr<RequestState>&)> fn);

  std::size_t size() const { return size_.load(std::memory_order_relaxed); }

 private:
  struct alignas(64) Shard {
    Mutex mu;
    ListHead running ABSL_GUARDED_BY(mu);  // by started_us, oldest first
    ListHead seen ABSL_GUARDED_BY(mu);     // handed to the watchdog already
  };
  static constexpr std::size_t kShards = 16;

  Shard& ShardOf(const RequestState& request);

  std::atomic<std::size_t> size_{0};
  std::array<Shard, kShards> shards_;
};

}  // namespace mcpx::engine
