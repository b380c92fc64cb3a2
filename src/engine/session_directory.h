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
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "common/mutex.h"
#include "engine/session.h"

namespace mcpx::engine {

// A session id held inline in the table's slot (no heap string), so that a
// lookup compares keys in the cache line it already loaded. Engine ids are 32
// hex digits; longer ids can never name a session.
class SessionKey {
 public:
  static constexpr std::size_t kMaxLength = 32;
  static bool Fits(std::string_view id) { return id.size() <= kMaxLength; }

  // Requires Fits(id).
  explicit SessionKey(std::string_view id) : size_(static_cast<std::uint8_t>(id.size())) {
    std::memcpy(data_, id.data(), id.size());
  }
  std::string_view view() const { return {data_, size_}; }

  friend bool operator==(const SessionKey& a, const SessionKey& b) { return a.view() == b.view(); }
  template <typename H>
  friend H AbslHashValue(H h, const SessionKey& key) {
    return H::combine(std::move(h), key.view());
  }

 private:
  char data_[kMaxLength] = {};
  std::uint8_t size_;
};

class SessionDirectory {
 public:
  static constexpr std::size_t kShards = 64;

  explicit SessionDirectory(std::size_t capacity) : capacity_(capacity) {}

  enum class InsertResult { kInserted, kFull, kDuplicate, kBadId };
  // Adds `session` unless the directory is at capacity, the id exists or is
  // longer than SessionKey::kMaxLength.
  InsertResult Insert(SessionPtr session);
  // Returns the session for `id`, creating it with `make` if absent; null when
  // the directory is full or the id too long. Atomic: concurrent callers get the same session.
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
    absl::flat_hash_map<SessionKey, SessionPtr> map ABSL_GUARDED_BY(mu);
  };

  Shard& ShardFor(const SessionKey& key) const;
  bool ReserveSlot();
  void ReleaseSlot() { size_.fetch_sub(1, std::memory_order_relaxed); }

  const std::size_t capacity_;
  std::atomic<std::size_t> size_{0};
  mutable std::atomic<std::uint64_t> contended_{0};
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace mcpx::engine
