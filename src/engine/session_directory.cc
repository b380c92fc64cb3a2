#include "engine/session_directory.h"

#include "absl/hash/hash.h"

namespace mcpx::engine {

SessionDirectory::Shard& SessionDirectory::ShardFor(const SessionKey& key) const {
  // High bits pick the shard; the table inside uses the low bits.
  const std::size_t h = absl::Hash<SessionKey>{}(key);
  return shards_[(h >> 58) % kShards];
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
  const SessionKey key(session->id());
  Shard& shard = ShardFor(key);
  {
    MutexLock lock(&shard.mu);
    if (shard.map.try_emplace(key, session).second) return InsertResult::kInserted;
  }
  ReleaseSlot();
  return InsertResult::kDuplicate;
}

SessionPtr SessionDirectory::GetOrCreate(std::string_view id,
                                         const std::function<SessionPtr()>& make) {
  if (!SessionKey::Fits(id)) return nullptr;
  if (SessionPtr found = Find(id)) return found;
  const SessionKey key(id);
  Shard& shard = ShardFor(key);
  MutexLock lock(&shard.mu);
  auto it = shard.map.find(key);
  if (it != shard.map.end()) return it->second;
  if (!ReserveSlot()) return nullptr;
  SessionPtr created = make();
  shard.map.emplace(key, created);
  return created;
}

SessionPtr SessionDirectory::Find(std::string_view id) const {
  if (!SessionKey::Fits(id)) return nullptr;
  const SessionKey key(id);
  Shard& shard = ShardFor(key);
  if (!shard.mu.ReaderTryLock()) {
    contended_.fetch_add(1, std::memory_order_relaxed);
    shard.mu.ReaderLock();
  }
  SessionPtr out;
  auto it = shard.map.find(key);
  if (it != shard.map.end()) out = it->second;
  shard.mu.ReaderUnlock();
  return out;
}

SessionPtr SessionDirectory::Remove(std::string_view id) {
  if (!SessionKey::Fits(id)) return nullptr;
  const SessionKey key(id);
  Shard& shard = ShardFor(key);
  SessionPtr out;
  {
    MutexLock lock(&shard.mu);
    auto node = shard.map.extract(key);
    if (node.empty()) return nullptr;
    out = std::move(node.mapped());
  }
  ReleaseSlot();
  return out;
}

std::vector<SessionPtr> SessionDirectory::RemoveIf(
    const std::function<bool(const Session&)>& expired) {
  std::vector<SessionPtr> out;
  for (Shard& shard : shards_) {
    MutexLock lock(&shard.mu);
    for (auto it = shard.map.begin(); it != shard.map.end();) {
      if (expired(*it->second)) {
        out.push_back(std::move(it->second));
        shard.map.erase(it++);
        ReleaseSlot();
      } else {
        ++it;
      }
    }
  }
  return out;
}

std::vector<SessionPtr> SessionDirectory::Snapshot() const {
  std::vector<SessionPtr> out;
  out.reserve(size());
  for (Shard& shard : shards_) {
    ReaderMutexLock lock(&shard.mu);
    for (const auto& [id, session] : shard.map) out.push_back(session);
  }
  return out;
}

}  // namespace mcpx::engine
