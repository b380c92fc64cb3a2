#include "guard/connection_counter.h"

#include <functional>

namespace mcpx::guard {

ConnectionCounter::Shard& ConnectionCounter::ShardOf(std::string_view address) {
  return shards_[std::hash<std::string_view>{}(address) % shards_.size()];
}

bool ConnectionCounter::Acquire(std::string_view address, std::size_t limit) {
  Shard& shard = ShardOf(address);
  MutexLock lock(&shard.mu);
  auto [it, added] = shard.open.try_emplace(std::string(address), 0);
  if (limit != 0 && it->second >= limit) return false;  // (never a fresh entry: limit >= 1)
  ++it->second;
  return true;
}

void ConnectionCounter::Release(std::string_view address) {
  Shard& shard = ShardOf(address);
  MutexLock lock(&shard.mu);
  auto it = shard.open.find(absl::string_view(address.data(), address.size()));
  if (it == shard.open.end()) return;
  if (--it->second == 0) shard.open.erase(it);
}

std::size_t ConnectionCounter::addresses() const {
  std::size_t n = 0;
  for (const Shard& shard : shards_) {
    MutexLock lock(&shard.mu);
    n += shard.open.size();
  }
  return n;
}

}  // namespace mcpx::guard
