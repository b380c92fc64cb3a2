// KeyTable<T>: the bounded, sharded key -> entry table under every guard that
// keeps state per client (rate limits, reputation, security event counts).
//
// 16 shards, each an absl::node_hash_map under its own mcpx::Mutex: shared
// to find an entry, exclusive only to add or drop one. The table holds at
// most `max_keys` keys (max_keys / 16 per shard, at least one). A key that
// does not fit is charged to its `coarse` key instead (an address's /24 or
// /64 prefix, see AddressPrefix: rotating IPv6 sources then share one entry),
// and when that does not fit either, to the one overflow entry. A full shard
// first drops its stale entries (the caller's predicate) before it refuses a
// key; Sweep drops them everywhere (one maintenance timer calls every sweep).
//
// Example:
//   KeyTable<GcraCell> table(65536);
//   table.ApplyOrAggregate(peer, [&] { return AddressPrefix(peer); },
//       [now](const GcraCell& c) { return c.Full(now); },
//       [&](GcraCell& c, KeyLevel) { wait = c.Take(now, rate); });
//
// Thread safety: safe for concurrent use. The callbacks given to Apply run
// under the shard's SHARED lock, so several threads may run them on the same
// entry at once: T must be safe for concurrent use by itself (atomics), and
// the callbacks must be short and must not call back into the table. While a
// callback runs, no sweep can drop its entry. Entries are node-based: they
// never move while others are added.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/node_hash_map.h"
#include "absl/functional/function_ref.h"
#include "common/mutex.h"

namespace mcpx::guard {

// Which entry a charge landed on.
enum class KeyLevel { kKey, kCoarse, kOverflow };

template <typename T>
class KeyTable {
 public:
  static constexpr std::size_t kShards = 16;

  explicit KeyTable(std::size_t max_keys) : max_per_shard_(std::max<std::size_t>(1, max_keys / kShards)) {}
  KeyTable(const KeyTable&) = delete;
  KeyTable& operator=(const KeyTable&) = delete;

  // Runs `fn(T&)` on the entry of `key`, adding it when there is room (a full
  // shard first drops the entries for which `stale(const T&)` holds). False,
  // and `fn` not run, when there is no room.
  template <typename Stale, typename Fn>
  bool Apply(std::string_view key, const Stale& stale, Fn&& fn);

  // Apply on `key`; when it has no room, on the key `coarse()` names (unless
  // empty or `key` itself); then on the overflow entry. `fn(T&, KeyLevel)`
  // learns which. `coarse` runs only when needed.
  template <typename Stale, typename Fn>
  KeyLevel ApplyOrAggregate(std::string_view key, absl::FunctionRef<std::string()> coarse, const Stale& stale,
                            Fn&& fn);

  // Runs `fn(const T&)` on the entry of `key` if there is one; never adds.
  template <typename Fn>
  bool Find(std::string_view key, Fn&& fn) const;

  // Runs `fn(std::string_view key, const T&)` on every entry, one shard at a
  // time under its shared lock (for metrics and admin listings, not hot paths).
  template <typename Fn>
  void ForEach(Fn&& fn) const;

  // Drops the entries for which `stale(const T&)` holds; returns how many.
  template <typename Stale>
  std::size_t Sweep(const Stale& stale);

  // The entry of keys that fit nowhere. Never dropped.
  T& overflow() { return overflow_; }
  const T& overflow() const { return overflow_; }

  std::size_t size() const { return size_.load(std::memory_order_relaxed); }
  std::size_t max_keys() const { return max_per_shard_ * kShards; }

 private:
  struct alignas(64) Shard {
    mutable Mutex mu;
    absl::node_hash_map<std::string, T> entries ABSL_GUARDED_BY(mu);
  };

  Shard& ShardOf(std::string_view key) { return shards_[std::hash<std::string_view>{}(key) % kShards]; }
  const Shard& ShardOf(std::string_view key) const {
    return shards_[std::hash<std::string_view>{}(key) % kShards];
  }
  template <typename Stale>
  std::size_t SweepShard(Shard& shard, const Stale& stale) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu) {
    const std::size_t dropped = absl::erase_if(shard.entries, [&stale](const auto& entry) { return stale(entry.second); });
    size_.fetch_sub(dropped, std::memory_order_relaxed);
    return dropped;
  }
  static absl::string_view View(std::string_view key) { return absl::string_view(key.data(), key.size()); }

  const std::size_t max_per_shard_;
  std::atomic<std::size_t> size_{0};
  std::array<Shard, kShards> shards_;
  T overflow_;
};

// The key that addresses aggregate to when a table is full: the /24 of an
// IPv4 address, the /64 of an IPv6 one ("10.1.2.0/24", "2001:db8:0:1::/64");
// the input itself when it does not parse.
std::string AddressPrefix(std::string_view address);

// ---------------------------------------------------------------------------

template <typename T>
template <typename Stale, typename Fn>
bool KeyTable<T>::Apply(std::string_view key, const Stale& stale, Fn&& fn) {
  Shard& shard = ShardOf(key);
  {
    ReaderMutexLock lock(&shard.mu);
    if (auto it = shard.entries.find(View(key)); it != shard.entries.end()) {
      fn(it->second);
      return true;
    }
  }
  // Not there: add it under the exclusive lock, then apply under it (a sweep
  // may not drop it in between; other threads wait only this once per key).
  MutexLock lock(&shard.mu);
  auto it = shard.entries.find(View(key));
  if (it == shard.entries.end()) {
    if (shard.entries.size() >= max_per_shard_ && SweepShard(shard, stale) == 0) return false;
    it = shard.entries.try_emplace(std::string(key)).first;
    size_.fetch_add(1, std::memory_order_relaxed);
  }
  fn(it->second);
  return true;
}

template <typename T>
template <typename Stale, typename Fn>
KeyLevel KeyTable<T>::ApplyOrAggregate(std::string_view key, absl::FunctionRef<std::string()> coarse,
                                       const Stale& stale, Fn&& fn) {
  if (Apply(key, stale, [&fn](T& entry) { fn(entry, KeyLevel::kKey); })) return KeyLevel::kKey;
  if (const std::string wider = coarse();
      !wider.empty() && wider != key && Apply(wider, stale, [&fn](T& entry) { fn(entry, KeyLevel::kCoarse); })) {
    return KeyLevel::kCoarse;
  }
  fn(overflow_, KeyLevel::kOverflow);
  return KeyLevel::kOverflow;
}

template <typename T>
template <typename Fn>
bool KeyTable<T>::Find(std::string_view key, Fn&& fn) const {
  const Shard& shard = ShardOf(key);
  ReaderMutexLock lock(&shard.mu);
  auto it = shard.entries.find(View(key));
  if (it == shard.entries.end()) return false;
  fn(std::as_const(it->second));
  return true;
}

template <typename T>
template <typename Fn>
void KeyTable<T>::ForEach(Fn&& fn) const {
  for (const Shard& shard : shards_) {
    ReaderMutexLock lock(&shard.mu);
    for (const auto& [key, entry] : shard.entries) fn(std::string_view(key), entry);
  }
}

template <typename T>
template <typename Stale>
std::size_t KeyTable<T>::Sweep(const Stale& stale) {
  std::size_t dropped = 0;
  for (Shard& shard : shards_) {
    MutexLock lock(&shard.mu);
    dropped += SweepShard(shard, stale);
  }
  return dropped;
}

}  // namespace mcpx::guard
