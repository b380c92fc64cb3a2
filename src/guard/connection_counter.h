// Open connections per client address, for HttpOptions::max_connections_per_ip.
//
// 16 shards of address -> count, each under its own mutex; an address leaves
// the table when its last connection closes, so the table never holds more
// entries than there are open connections (themselves capped).
//
// Thread safety: safe for concurrent use.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "common/mutex.h"

namespace mcpx::guard {

class ConnectionCounter {
 public:
  // Counts one more connection from `address`: false, and nothing counted,
  // when it already has `limit` (0: no limit).
  bool Acquire(std::string_view address, std::size_t limit);
  void Release(std::string_view address);
  // Addresses with open connections.
  std::size_t addresses() const;

 private:
  struct alignas(64) Shard {
    mutable Mutex mu;
    absl::flat_hash_map<std::string, std::uint32_t> open ABSL_GUARDED_BY(mu);
  };
  Shard& ShardOf(std::string_view address);

  std::array<Shard, 16> shards_;
};

// One counted connection; released when destroyed. Move-only.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  ConnectionSlot(ConnectionCounter* counter, std::string address)
      : counter_(counter), address_(std::move(address)) {}
  ConnectionSlot(ConnectionSlot&& other) noexcept
      : counter_(std::exchange(other.counter_, nullptr)), address_(std::move(other.address_)) {}
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept {
    if (this != &other) {
      Reset();
      counter_ = std::exchange(other.counter_, nullptr);
      address_ = std::move(other.address_);
    }
    return *this;
  }
  ~ConnectionSlot() { Reset(); }

 private:
  void Reset() {
    if (counter_ != nullptr) counter_->Release(address_);
    counter_ = nullptr;
  }
  ConnectionCounter* counter_ = nullptr;
  std::string address_;
};

}  // namespace mcpx::guard
