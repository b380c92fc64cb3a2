#include "engine/inflight.h"

#include <vector>

#include "engine/request.h"

namespace mcpx::engine {

InflightRequests::Shard& InflightRequests::ShardOf(const RequestState& request) {
  const auto bits = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&request));
  return shards_[(bits * 0x9E3779B97F4A7C15ull) >> 60];
}

void InflightRequests::Add(RequestState& request) {
  Shard& shard = ShardOf(request);
  MutexLock lock(&shard.mu);
  ListNode& node = request;
  if (node.linked()) return;
  request.inflight_ = this;
  // Requests arrive nearly in order: walk back past the few that started
  // later (another thread raced this one here).
  ListNode* pos = shard.running.back();
  while (pos != nullptr && static_cast<RequestState*>(pos)->started_us() > request.started_us()) {
    pos = shard.running.prev(pos);
  }
  shard.running.InsertAfter(pos, &node);
  size_.fetch_add(1, std::memory_order_relaxed);
}

void InflightRequests::Remove(RequestState& request) {
  Shard& shard = ShardOf(request);
  MutexLock lock(&shard.mu);
  ListNode& node = request;
  if (!node.linked()) return;
  node.Unlink();
  size_.fetch_sub(1, std::memory_order_relaxed);
}

std::size_t InflightRequests::TakeStartedBefore(
    std::int64_t cutoff_us, absl::FunctionRef<void(const std::shared_ptr<RequestState>&)> fn) {
  std::size_t taken = 0;
  std::vector<std::shared_ptr<RequestState>> due;
  for (Shard& shard : shards_) {
    {
      MutexLock lock(&shard.mu);
      for (ListNode* n = shard.running.front(); n != nullptr && static_cast<RequestState*>(n)->started_us() < cutoff_us;
           n = shard.running.front()) {
        n->Unlink();
        shard.seen.PushBack(n);
        ++taken;
        // Null when its last owner is destroying it (its destructor waits for
        // this lock to unlink it).
        if (auto r = static_cast<RequestState*>(n)->weak_from_this().lock()) due.push_back(std::move(r));
      }
    }
    for (const auto& r : due) fn(r);
    due.clear();
  }
  return taken;
}

void InflightRequests::ForEach(absl::FunctionRef<void(const std::shared_ptr<RequestState>&)> fn) {
  std::vector<std::shared_ptr<RequestState>> all;
  for (Shard& shard : shards_) {
    {
      MutexLock lock(&shard.mu);
      for (ListHead* list : {&shard.running, &shard.seen}) {
        for (ListNode* n = list->front(); n != nullptr; n = list->next(n)) {
          if (auto r = static_cast<RequestState*>(n)->weak_from_this().lock()) all.push_back(std::move(r));
        }
      }
    }
    for (const auto& r : all) fn(r);
    all.clear();
  }
}

}  // namespace mcpx::engine
