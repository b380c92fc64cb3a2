// A fixed-bucket latency histogram with one relaxed atomic per bucket: no lock
// on the observation path. Rendered in Prometheus histogram format.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace mcpx::observe {

class LatencyHistogram {
 public:
  // Upper bounds in microseconds; the last bucket is +Inf.
  static constexpr std::array<std::uint64_t, 14> kBoundsUs = {
      50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000, 5000000};

  void Observe(std::uint64_t micros) {
    std::size_t i = 0;
    while (i < kBoundsUs.size() && micros > kBoundsUs[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_us_.fetch_add(micros, std::memory_order_relaxed);
  }

  std::uint64_t count() const;
  // Appends the exposition of metric `name` (seconds) to `out`.
  void Render(std::string_view name, std::string_view help, std::string& out) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBoundsUs.size() + 1> buckets_{};
  std::atomic<std::uint64_t> sum_us_{0};
};

}  // namespace mcpx::observe
