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

#include "absl/functional/function_ref.h"

#include "engine/session.h"

namespace mcpx::engine {

// A session id held inline in the table's slot (no heap string), so that a
// lookup compares keys in the cache line it already loaded. Zero-padded, with
// no length byte: ids are visible ASCII (MCP's rule for session ids), so they
// hold no NUL and the length is implied. A slot is then 48 bytes, as small as
// one keyed by std::string. Engine ids are 32 hex digits; longer ids, and ids
// with a NUL byte, can never name a session.
class SessionKey {
 public:
  static constexpr std::size_t kMaxLength = 32;
  static bool Fits(std::string_view id) {
    return id.size() <= kMaxLength && id.find('\0') == std::string_view::npos;
  }
  static std::size_t HashOf(std::string_view id) { return std::hash<std::string_view>{}(id); }

  // Requires Fits(id).
  explicit SessionKey(std::string_view id) { std::memcpy(data_, id.data(), id.size()); }
  std::string_view view() const { return {data_, ::strnlen(data_, kMaxLength)}; }

  // Whole zero-padded arrays compare: a fixed-size compare the compiler
  // inlines, no call.
  friend bool operator==(const SessionKey& a, const SessionKey& b) {
    return std::memcmp(a.data_, b.data_, kMaxLength) == 0;
  }

 private:
  char data_[kMaxLength] = {};
};

// What lookups pass to the table: the key and its hash, computed once for both
// the shard pick and the table (stored keys are hashed again only when the
// table moves them).
struct KeyProbe {
  explicit KeyProbe(std::string_view id) : key(id), hash(SessionKey::HashOf(id)) {}
  SessionKey key;
  std::size_t hash;
};

struct KeyHash {
  std::size_t operator()(const SessionKey& k) const { return SessionKey::HashOf(k.view()); }
  std::size_t operator()(const KeyProbe& p) const { return p.hash; }
};

struct KeyEqual {
  bool operator()(const SessionKey& a, const SessionKey& b) const { return a == b; }
  bool operator()(const SessionKey& a, const KeyProbe& b) const { return a == b.key; }
};

class SessionDirectory {
 public:
  static constexpr std::size_t kShards = 64;

  explicit SessionDirectory(std::size_t capacity);

  enum class InsertResult { kInserted, kFull, kDuplicate, kBadId };
  // Adds `session` unless the directory is at capacity, the id exists or
  // cannot be a key (SessionKey::Fits).
  InsertResult Insert(SessionPtr session);
  // Returns the session for `id`, creating it with `make` if absent; null when
  // the directory is full or the id cannot be a key. Atomic: concurrent callers get
  // the same session, and `make` runs once, under the table's bucket locks
  // (it must not use the directory).
  SessionPtr GetOrCreate(std::string_view id, const std::function<SessionPtr()>& make);
  SessionPtr Find(std::string_view id) const;
  SessionPtr Remove(std::string_view id);
  // Removes and returns the session `id` if `expired` is true for it (null
  // otherwise). `expired` runs under the entry's bucket lock: it must not use
  // the directory.
  SessionPtr RemoveIf(std::string_view id, absl::FunctionRef<bool(const Session&)> expired);
  // Shrinks shards left below 1/8 full (after expiry), one shard at a time.
  // A shrink rebuilds that shard under its locks: the expiry sweep runs it,
  // off the I/O threads.
  void Compact();
  // Whether Compact would shrink any shard (a few loads per shard).
  bool Compactable() const;
  // Calls `visit` for every session, one shard at a time: the pointers of
  // one shard are copied under its lock, then visited with no lock held.
  // Stops early when `visit` returns false.
  void ForEach(absl::FunctionRef<bool(const SessionPtr&)> visit) const;
  // A page of sessions in (shard, id) order: at most `limit` sessions after
  // the position `after` (empty: from the start). A session added or removed
  // meanwhile may or may not appear; none appears twice. `next` is the
  // position to pass for the following page, empty after the last.
  std::vector<SessionPtr> Page(std::string_view after, std::size_t limit, std::string* next) const;

  std::size_t size() const { return size_.load(std::memory_order_relaxed); }
  std::size_t capacity() const { return capacity_; }
  // Slots allocated over all shards (the tables' capacity, not the cap).
  std::size_t table_slots() const;
  // Nanoseconds whole-shard walks (sweeps, snapshots) waited to lock a shard
  // that lookups or writers were using: the directory's contention indicator.
  std::uint64_t contended() const { return contended_ns_.load(std::memory_order_relaxed); }

 private:
  using Table = libcuckoo::cuckoohash_map<SessionKey, SessionPtr, KeyHash, KeyEqual>;
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

  Shard& ShardFor(const KeyProbe& probe) const;
  // Below 1/8 full with more than the initial slots.
  static bool Shrinkable(const Shard& shard, std::size_t capacity);
  // Bookkeeping after an insert into `shard`: grows it past 3/4 full.
  static void Added(Shard& shard);
  // Bookkeeping after a remove from `shard`.
  void Removed(Shard& shard) {
    shard.count.fetch_sub(1, std::memory_order_relaxed);
    ReleaseSlot();
  }
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
