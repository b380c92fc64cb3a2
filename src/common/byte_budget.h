// A process-wide budget of bytes held on behalf of clients (request bodies,
// requests in flight, queued stream output, stored events), in the spirit of
// Envoy's overload manager: every holder charges what it keeps, and a charge
// that would pass the limit is refused, so the caller answers "overloaded"
// instead of growing. One relaxed atomic per charge and release; no lock.
//
// Thread safety: safe for concurrent use.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace mcpx {

class ByteBudget {
 public:
  explicit ByteBudget(std::size_t limit) : limit_(limit) {}
  ByteBudget(const ByteBudget&) = delete;
  ByteBudget& operator=(const ByteBudget&) = delete;

  // Charges `n` bytes unless that would pass the limit; false (and nothing
  // charged) then.
  bool TryCharge(std::size_t n) {
    const std::size_t before = used_.fetch_add(n, std::memory_order_relaxed);
    if (before + n > limit_ && n > 0) {
      used_.fetch_sub(n, std::memory_order_relaxed);
      refusals_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    return true;
  }
  void Release(std::size_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }

  std::size_t used() const { return used_.load(std::memory_order_relaxed); }
  std::size_t limit() const { return limit_; }
  // Charges refused since start.
  std::uint64_t refusals() const { return refusals_.load(std::memory_order_relaxed); }

 private:
  const std::size_t limit_;
  std::atomic<std::size_t> used_{0};
  std::atomic<std::uint64_t> refusals_{0};
};

// Bytes charged to a budget, released when the lease ends. Move-only.
class ByteLease {
 public:
  ByteLease() = default;
  explicit ByteLease(ByteBudget* budget) : budget_(budget) {}
  ByteLease(ByteLease&& o) noexcept
      : budget_(std::exchange(o.budget_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  ByteLease& operator=(ByteLease&& o) noexcept {
    if (this != &o) {
      Reset();
      budget_ = std::exchange(o.budget_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  ~ByteLease() { Reset(); }

  // Holds `bytes` in total from now on; false (unchanged) if growing to it
  // would pass the budget. Without a budget every size is granted.
  bool Resize(std::size_t bytes) {
    if (bytes == bytes_) return true;  // no atomic for an unchanged lease
    if (budget_ == nullptr) {
      bytes_ = bytes;
      return true;
    }
    if (bytes > bytes_) {
      if (!budget_->TryCharge(bytes - bytes_)) return false;
    } else {
      budget_->Release(bytes_ - bytes);
    }
    bytes_ = bytes;
    return true;
  }
  void Reset() { Resize(0); }
  std::size_t bytes() const { return bytes_; }
  ByteBudget* budget() const { return budget_; }

 private:
  ByteBudget* budget_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace mcpx
