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

SessionPtr SessionDirectory::RemoveIf(std::string_view id, absl::FunctionRef<bool(const Session&)> expired) {
  if (!SessionKey::Fits(id)) return nullptr;
  const KeyProbe probe(id);
  Shard& shard = ShardFor(probe);
  SessionPtr out;
  shard.table.erase_fn(probe, [&](SessionPtr& s) {
    if (!expired(*s)) return false;  // keep it
    out = std::move(s);
    return true;
  });
  if (out) Removed(shard);
  return out;
}

bool SessionDirectory::Shrinkable(const Shard& shard, std::size_t capacity) {
  const auto n = static_cast<std::size_t>(std::max<std::ptrdiff_t>(shard.count.load(std::memory_order_relaxed), 0));
  return capacity > Shard::kInitialSlots && n < capacity / 8;
}

bool SessionDirectory::Compactable() const {
  for (const Shard& shard : shards_) {
    if (Shrinkable(shard, shard.table.capacity())) return true;
  }
  return false;
}

void SessionDirectory::Compact() {
  for (Shard& shard : shards_) {
    // Below 1/8 full: shrink to at most half full (never below the start).
    // (An insert still between table and counter is missed: harmless.)
    if (!Shrinkable(shard, shard.table.capacity())) continue;
    auto locked = LockShard(shard);
    if (!Shrinkable(shard, locked.capacity())) continue;
    const auto n = static_cast<std::size_t>(std::max<std::ptrdiff_t>(shard.count.load(std::memory_order_relaxed), 0));
    locked.reserve(std::max(2 * n, Shard::kInitialSlots));
  }
}

void SessionDirectory::ForEach(absl::FunctionRef<bool(const SessionPtr&)> visit) const {
  std::vector<SessionPtr> batch;
  for (Shard& shard : shards_) {
    {
      auto locked = LockShard(shard);
      batch.reserve(locked.size());
      for (const auto& [key, session] : locked) batch.push_back(session);
    }
    for (const SessionPtr& s : batch) {
      if (!visit(s)) return;
    }
    batch.clear();
  }
}

namespace {

// A page position: the shard as two hex digits, then the last id returned.
std::string PagePosition(std::size_t shard, std::string_view id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out{kHex[(shard >> 4) & 0xf], kHex[shard & 0xf]};
  out.append(id);
  return out;
}

bool ParsePagePosition(std::string_view pos, std::size_t* shard, std::string_view* id) {
  if (pos.empty()) {
    *shard = 0;
    *id = {};
    return true;
  }
  if (pos.size() < 2) return false;
  std::size_t value = 0;
  for (char c : pos.substr(0, 2)) {
    const auto digit = std::string_view("0123456789abcdef").find(c);
    if (digit == std::string_view::npos) return false;
    value = value * 16 + digit;
  }
  *shard = value;
  *id = pos.substr(2);
  return true;
}

}  // namespace

std::vector<SessionPtr> SessionDirectory::Page(std::string_view after, std::size_t limit, std::string* next) const {
  next->clear();
  std::vector<SessionPtr> out;
  std::size_t first_shard = 0;
  std::string_view after_id;
  if (limit == 0 || !ParsePagePosition(after, &first_shard, &after_id) || first_shard >= kShards) return out;
  // The `limit - out.size()` smallest ids after `after_id` in each shard, in
  // order: a bounded max-heap while the shard is locked (keys compare in the
  // slots; only the kept sessions are copied).
  using Entry = std::pair<std::string, SessionPtr>;
  const auto by_id = [](const Entry& a, const Entry& b) { return a.first < b.first; };
  std::vector<Entry> heap;
  for (std::size_t i = first_shard; i < kShards && out.size() < limit; ++i) {
    const std::string_view floor = i == first_shard ? after_id : std::string_view();
    const std::size_t want = limit - out.size();
    {
      auto locked = LockShard(shards_[i]);
      for (const auto& [key, session] : locked) {
        const std::string_view id = key.view();
        if (!floor.empty() && id <= floor) continue;
        if (heap.size() == want) {
          if (id >= heap.front().first) continue;
          std::pop_heap(heap.begin(), heap.end(), by_id);
          heap.pop_back();
        }
        heap.emplace_back(std::string(id), session);
        std::push_heap(heap.begin(), heap.end(), by_id);
      }
    }
    std::sort_heap(heap.begin(), heap.end(), by_id);
    for (Entry& e : heap) out.push_back(std::move(e.second));
    if (out.size() == limit) *next = PagePosition(i, heap.back().first);
    heap.clear();
  }
  return out;
}

std::size_t SessionDirectory::table_slots() const {
  std::size_t slots = 0;
  for (const Shard& shard : shards_) slots += shard.table.capacity();
  return slots;
}

}  // namespace mcpx::engine
