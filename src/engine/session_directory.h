// The session directory: id -> Session, sharded so that no operation takes a
// process-wide lock (the shape of LevelDB's ShardedLRUCache).
//
// Thread safety: safe for concurrent use. Each shard has its own reader/writer
// mutex, held only for the hash-table operation; callers receive shared_ptrs
// and act on sessions after the shard lock is released. The size is an atomic
// counter, so the cap is enforced without a global lock.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "common/mutex.h"
#include "engine/session.h"

namespace mcpx::engine {

class SessionDirectory {
 public:
  static constexpr std::size_t kShards = 64;

  explicit SessionDirectory(std::size_t capacity) : capacity_(capacity) {}

  enum class InsertResult { kInserted, kFull, kDuplicate };
  // Adds `session` unless the directory is at capacity or the id exists.
  InsertResult Insert(SessionPtr session);
  // Returns the session for `id`, creating it with `make` if absent; null when
  // the directory is full. Atomic: concurrent callers get the same session.
  SessionPtr GetOrCreate(std::string_view id, const std::function<SessionPtr()>& make);
  SessionPtr Find(std::string_view id) const;
  SessionPtr Remove(std::string_view id);
  // Removes and returns every session for which `expired` is true.
  std::vector<SessionPtr> RemoveIf(const std::function<bool(const Session&)>& expired);
  // A copy of every session pointer; callers act on them without any lock.
  std::vector<SessionPtr> Snapshot() const;

  std::size_t size() const { return size_.load(std::memory_order_relaxed); }
  std::size_t capacity() const { return capacity_; }
  // Times a shard lock was found held by a writer (contention indicator).
  std::uint64_t contended() const { return contended_.load(std::memory_order_relaxed); }

 private:
  struct alignas(64) Shard {
    mutable Mutex mu;
    absl::flat_hash_map<std::string, SessionPtr> map ABSL_GUARDED_BY(mu);
  };

  Shard& ShardFor(std::string_view id) const;
  bool ReserveSlot();
  void ReleaseSlot() { size_.fetch_sub(1, std::memory_order_relaxed); }

  const std::size_t capacity_;
  std::atomic<std::size_t> size_{0};
  mutable std::atomic<std::uint64_t> contended_{0};
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace mcpx::engine
