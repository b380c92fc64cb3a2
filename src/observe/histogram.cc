#include "observe/histogram.h"

#include <cstdio>

namespace mcpx::observe {

std::uint64_t LatencyHistogram::count() const {
  std::uint64_t n = 0;
  for (const auto& b : buckets_) n += b.load(std::memory_order_relaxed);
  return n;
}

void LatencyHistogram::Render(std::string_view name, std::string_view help, std::string& out) const {
  const std::string n(name);
  out += "# HELP " + n + " " + std::string(help) + "\n# TYPE " + n + " histogram\n";
  std::uint64_t cumulative = 0;
  char line[160];
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    if (i < kBoundsUs.size()) {
      std::snprintf(line, sizeof line, "%s_bucket{le=\"%g\"} %llu\n", n.c_str(),
                    static_cast<double>(kBoundsUs[i]) / 1e6, static_cast<unsigned long long>(cumulative));
    } else {
      std::snprintf(line, sizeof line, "%s_bucket{le=\"+Inf\"} %llu\n", n.c_str(),
                    static_cast<unsigned long long>(cumulative));
    }
    out += line;
  }
  std::snprintf(line, sizeof line, "%s_sum %.6f\n%s_count %llu\n", n.c_str(),
                static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6, n.c_str(),
                static_cast<unsigned long long>(cumulative));
  out += line;
}

}  // namespace mcpx::observe
