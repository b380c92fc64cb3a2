// The session directory: id -> Session.
//
// Each of 64 shards is a libcuckoo table (concurrent cuckoo hashing with
// striped spinlocks: a lookup locks the two buckets it reads, nothing else).
// Sharding bounds what a whole-table walk locks: expiry sweeps and snapshots
// lock one shard at a time, so lookups elsewhere never wait for them. The
// measurements behind this choice are in docs/decisions.md.
//
// Shards keep their load factor between 1/8 and 3/4: a shard doubles once it
// is three quarters full (libcuckoo alone grows only when an insert finds no
// cuckoo path, near full, where every insert first searches for one), and a
// sweep that leaves a shard below 1/8 shrinks it, so memory returns after a
// mass expiry.
//
// Thread safety: safe for concurrent use. Locks are held only for the table
// operation itself; callers receive shared_ptrs and act on sessions after
// every lock is released. The size is an atomic counter, so the cap is
// enforced without a global lock.
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

#include <libcuckoo/cuckoohash_map.hh>

#include "absl/hash/hash.h"
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
    hash_ = absl::Hash<std::string_view>{}(view());
  }
  std::string_view view() const { return {data_, size_}; }

  // Bytes past size_ are zero, so whole arrays compare: a fixed-size compare
  // the compiler inlines, no call.
  friend bool operator==(const SessionKey& a, const SessionKey& b) {
    return a.size_ == b.size_ && std::memcmp(a.data_, b.data_, kMaxLength) == 0;
  }
  // Hashed once, when the key is made: the shard and the table both use it.
  std::size_t hash() const { return hash_; }
  struct Hash {
    std::size_t operator()(const SessionKey& key) const { return key.hash_; }
  };

 private:
  std::size_t hash_;
  char data_[kMaxLength] = {};
  std::uint8_t size_;
};

class SessionDirectory {
 public:
  static constexpr std::size_t kShards = 64;

  explicit SessionDirectory(std::size_t capacity);

  enum class InsertResult { kInserted, kFull, kDuplicate, kBadId };
  // Adds `session` unless the directory is at capacity, the id exists or is
  // longer than SessionKey::kMaxLength.
  InsertResult Insert(SessionPtr session);
  // Returns the session for `id`, creating it with `make` if absent; null when
  // the directory is full or the id too long. Atomic: concurrent callers get
  // the same session, and `make` runs once, under the table's bucket locks
  // (it must not use the directory).
  SessionPtr GetOrCreate(std::string_view id, const std::function<SessionPtr()>& make);
  SessionPtr Find(std::string_view id) const;
  SessionPtr Remove(std::string_view id);
  // Removes and returns every session for which `expired` is true. `expired`
  // runs with one shard locked: it must not use the directory.
  std::vector<SessionPtr> RemoveIf(const std::function<bool(const Session&)>& expired);
  // A copy of every session pointer; callers act on them without any lock.
  std::vector<SessionPtr> Snapshot() const;

  std::size_t size() const { return size_.load(std::memory_order_relaxed); }
  std::size_t capacity() const { return capacity_; }
  // Slots allocated over all shards (the tables' capacity, not the cap).
  std::size_t table_slots() const;
  // Nanoseconds whole-shard walks (sweeps, snapshots) waited to lock a shard
  // that lookups or writers were using: the directory's contention indicator.
  std::uint64_t contended() const { return contended_ns_.load(std::memory_order_relaxed); }

 private:
  using Table = libcuckoo::cuckoohash_map<SessionKey, SessionPtr, SessionKey::Hash>;
  struct alignas(64) Shard {
    Shard() : table(kInitialSlots) {}
    // libcuckoo preallocates 256k slots by default; shards start small and grow.
    static constexpr std::size_t kInitialSlots = 64;
    mutable Table table;
    // Sessions in this shard. On its own cache line: written by inserts and
    // removes, while `table`'s header is read by every lookup. Signed: a
    // remove may count down before the racing insert of the same id counts up.
    alignas(64) std::atomic<std::ptrdiff_t> count{0};
  };

  Shard& ShardFor(const SessionKey& key) const;
  // Bookkeeping after an insert into `shard`: grows it past 3/4 full.
  static void Added(Shard& shard);
  // Locks one shard for a walk, counting the time spent waiting.
  Table::locked_table LockShard(Shard& shard) const;
  bool ReserveSlot();
  void ReleaseSlot() { size_.fetch_sub(1, std::memory_order_relaxed); }

  const std::size_t capacity_;
  std::atomic<std::size_t> size_{0};
  mutable std::atomic<std::uint64_t> contended_ns_{0};
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace mcpx::engine
