#include "engine/session_directory.h"

#include <algorithm>
#include <chrono>

namespace mcpx::engine {
namespace {

// Converts to the session only when libcuckoo constructs the value, that is
// only when the key was absent.
struct LazySession {
  const std::function<SessionPtr()>& make;
  SessionPtr* made;
  operator SessionPtr() const {  // implicit by design: libcuckoo converts
    *made = make();
    return *made;
  }
};

}  // namespace

SessionDirectory::SessionDirectory(std::size_t capacity) : capacity_(capacity) {}

SessionDirectory::Shard& SessionDirectory::ShardFor(const KeyProbe& probe) const {
  // High bits pick the shard; the table inside uses the low bits.
  return shards_[(probe.hash >> 58) % kShards];
}

SessionDirectory::Table::locked_table SessionDirectory::LockShard(Shard& shard) const {
  const auto start = std::chrono::steady_clock::now();
  auto locked = shard.table.lock_table();
  const auto waited = std::chrono::steady_clock::now() - start;
  contended_ns_.fetch_add(
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count()),
      std::memory_order_relaxed);
  return locked;
}

void SessionDirectory::Added(Shard& shard) {
  const std::ptrdiff_t n = shard.count.fetch_add(1, std::memory_order_relaxed) + 1;
  const std::size_t hp = shard.table.hashpower();
  // Capacity from the hashpower read here: a concurrent grower has either
  // finished (larger hp, no action) or rehash(hp + 1) finds it done.
  const auto capacity = static_cast<std::ptrdiff_t>(std::size_t{Table::slot_per_bucket()} << hp);
  if (n > capacity / 4 * 3) shard.table.rehash(hp + 1);
}

bool SessionDirectory::ReserveSlot() {
  std::size_t current = size_.load(std::memory_order_relaxed);
  do {
    if (current >= capacity_) return false;
  } while (!size_.compare_exchange_weak(current, current + 1, std::memory_order_relaxed));
  return true;
}

SessionDirectory::InsertResult SessionDirectory::Insert(SessionPtr session) {
  if (!SessionKey::Fits(session->id())) return InsertResult::kBadId;
  if (!ReserveSlot()) return InsertResult::kFull;
  const KeyProbe probe(session->id());
  Shard& shard = ShardFor(probe);
  if (shard.table.insert(probe.key, std::move(session))) {
    Added(shard);
    return InsertResult::kInserted;
  }
  ReleaseSlot();
  return InsertResult::kDuplicate;
}

SessionPtr SessionDirectory::GetOrCreate(std::string_view id,
                                         const std::function<SessionPtr()>& make) {
  if (!SessionKey::Fits(id)) return nullptr;
  if (SessionPtr found = Find(id)) return found;
  if (!ReserveSlot()) return nullptr;
  const KeyProbe probe(id);
  Shard& shard = ShardFor(probe);
  SessionPtr existing, made;
  const bool inserted = shard.table.uprase_fn(
      probe.key,
      [&](SessionPtr& present) {
        existing = present;
        return false;  // keep it
      },
      LazySession{make, &made});
  if (inserted) {
    Added(shard);
    return made;
  }
  ReleaseSlot();
  return existing;
}

SessionPtr SessionDirectory::Find(std::string_view id) const {
  if (!SessionKey::Fits(id)) return nullptr;
  const KeyProbe probe(id);
  SessionPtr out;
  ShardFor(probe).table.find_fn(probe, [&](const SessionPtr& s) { out = s; });
  return out;
}

SessionPtr SessionDirectory::Remove(std::string_view id) {
  if (!SessionKey::Fits(id)) return nullptr;
  const KeyProbe probe(id);
  Shard& shard = ShardFor(probe);
  SessionPtr out;
  if (!shard.table.erase_fn(probe, [&](SessionPtr& s) {
        out = std::move(s);
        return true;  // erase
      })) {
    return nullptr;
  }
  Removed(shard);
  return out;
}

std::vector<SessionPtr> SessionDirectory::RemoveIf(
    const std::function<bool(const Session&)>& expired) {
  std::vector<SessionPtr> out;
  for (Shard& shard : shards_) {
    auto locked = LockShard(shard);
    for (auto it = locked.begin(); it != locked.end();) {
      if (expired(*it->second)) {
        out.push_back(std::move(it->second));
        it = locked.erase(it);
        Removed(shard);
      } else {
        ++it;
      }
    }
    // Below 1/8 full: shrink to at most half full (never below the start).
    // (An insert still between table and counter is missed: harmless.)
    const auto n = static_cast<std::size_t>(shard.count.load(std::memory_order_relaxed));
    if (locked.capacity() > Shard::kInitialSlots && n < locked.capacity() / 8) {
      locked.reserve(std::max(2 * n, Shard::kInitialSlots));
    }
  }
  return out;
}

std::size_t SessionDirectory::table_slots() const {
  std::size_t slots = 0;
  for (const Shard& shard : shards_) slots += shard.table.capacity();
  return slots;
}

std::vector<SessionPtr> SessionDirectory::Snapshot() const {
  std::vector<SessionPtr> out;
  out.reserve(size());
  for (Shard& shard : shards_) {
    auto locked = LockShard(shard);
    for (const auto& [key, session] : locked) out.push_back(session);
  }
  return out;
}

}  // namespace mcpx::engine
