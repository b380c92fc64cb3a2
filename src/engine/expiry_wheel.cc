#include "engine/expiry_wheel.h"

#include <algorithm>
#include <bit>

#include "engine/session.h"

namespace mcpx::engine {
namespace {

// Enough slots that a deadline up to `horizon` ahead does not wrap, within
// [16, 4096] (a longer horizon wraps: such sessions are looked at once per
// turn of the wheel).
std::size_t SlotsFor(std::int64_t tick_ms, std::int64_t horizon_ms) {
  const auto wanted = static_cast<std::size_t>(std::max<std::int64_t>(horizon_ms / tick_ms + 2, 16));
  return std::bit_ceil(std::min<std::size_t>(wanted, 4096));
}

}  // namespace

ExpiryWheel::ExpiryWheel(std::chrono::milliseconds tick, std::chrono::milliseconds horizon)
    : tick_ms_(std::max<std::int64_t>(tick.count(), 1)), slots_(SlotsFor(tick_ms_, horizon.count())) {
  for (Shard& shard : shards_) {
    MutexLock lock(&shard.mu);
    shard.slots = std::make_unique<ListHead[]>(slots_);
  }
}

ExpiryWheel::Shard& ExpiryWheel::ShardOf(const Session& session) {
  // Fibonacci hashing of the address: its top bits pick the shard.
  const auto bits = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&session));
  return shards_[(bits * 0x9E3779B97F4A7C15ull) >> 60];
}

void ExpiryWheel::Link(Shard& shard, Session& session, std::int64_t due_ms) {
  ListNode& node = session;
  if (node.linked()) return;
  const std::int64_t tick = std::max(TickOf(due_ms), shard.next_tick);
  shard.slots[static_cast<std::size_t>(tick) & (slots_ - 1)].PushBack(&node);
  size_.fetch_add(1, std::memory_order_relaxed);
}

void ExpiryWheel::Add(Session& session, std::int64_t due_ms, std::int64_t now_ms) {
  Shard& shard = ShardOf(session);
  MutexLock lock(&shard.mu);
  if (shard.next_tick < 0) shard.next_tick = now_ms / tick_ms_;
  if (session.state() == SessionState::kClosed) return;
  Link(shard, session, due_ms);
}

void ExpiryWheel::Remove(Session& session) {
  Shard& shard = ShardOf(session);
  MutexLock lock(&shard.mu);
  ListNode& node = session;
  if (!node.linked()) return;
  node.Unlink();
  size_.fetch_sub(1, std::memory_order_relaxed);
}

ExpiryWheel::Progress ExpiryWheel::Advance(std::int64_t now_ms,
                                           absl::FunctionRef<std::int64_t(const Session&)> deadline,
                                           absl::FunctionRef<void(const std::string&)> on_expired,
                                           std::size_t budget, std::size_t slice) {
  Progress progress;
  slice = std::max<std::size_t>(slice, 1);
  // Shards already done for `now_ms` cost one lock each on a later call.
  for (Shard& shard : shards_) {
    if (!AdvanceShard(shard, now_ms, deadline, on_expired, budget - progress.looked, slice, &progress.looked)) {
      progress.done = false;
      break;
    }
  }
  return progress;
}

bool ExpiryWheel::AdvanceShard(Shard& shard, std::int64_t now_ms,
                               absl::FunctionRef<std::int64_t(const Session&)> deadline,
                               absl::FunctionRef<void(const std::string&)> on_expired, std::size_t budget,
                               std::size_t slice, std::size_t* looked) {
  const std::int64_t last = now_ms / tick_ms_;
  const auto turn = static_cast<std::int64_t>(slots_);
  std::vector<std::string> expired;  // one slice's worth, handed out unlocked
  bool done = false;
  while (!done && budget > 0) {
    {
      MutexLock lock(&shard.mu);
      if (shard.next_tick < 0) shard.next_tick = last;
      // After a long pause one turn covers every slot.
      if (last - shard.next_tick >= turn) shard.next_tick = last - turn + 1;
      std::size_t n = 0;
      while (n < std::min(slice, budget)) {
        if (shard.advancing.empty()) {
          if (shard.next_tick > last) {
            done = true;
            break;
          }
          shard.advancing.SpliceBack(shard.slots[static_cast<std::size_t>(shard.next_tick) & (slots_ - 1)]);
          ++shard.next_tick;
          continue;
        }
        auto& session = static_cast<Session&>(*shard.advancing.PopFront());
        size_.fetch_sub(1, std::memory_order_relaxed);
        ++n;
        const std::int64_t due = deadline(session);
        if (due <= now_ms) {
          expired.push_back(session.id());
        } else {
          Link(shard, session, due);
        }
      }
      *looked += n;
      budget -= n;
    }
    for (const std::string& id : expired) on_expired(id);
    expired.clear();
  }
  return done;
}

}  // namespace mcpx::engine
