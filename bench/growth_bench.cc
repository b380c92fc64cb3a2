// How long a session lookup can wait while the directory grows (issue 12):
// one thread inserts N sessions (the shards double as they fill) while
// another looks up sessions already present, back to back, timing each
// lookup. Prints the lookup latency percentiles and maximum during growth,
// then over the same number of lookups with the directory at rest, and the
// slowest insert (the one that doubled a shard).
//
// Usage: growth_bench [N=1000000]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/session_directory.h"

namespace {

using mcpx::engine::ClientInit;
using mcpx::engine::Session;
using mcpx::engine::SessionDirectory;
using Clock = std::chrono::steady_clock;

std::vector<std::string> MakeIds(std::size_t n) {
  std::vector<std::string> ids;
  ids.reserve(n);
  std::mt19937_64 rng(7);
  char buf[33];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                  static_cast<unsigned long long>(rng()));
    ids.emplace_back(buf);
  }
  return ids;
}

void Report(const char* phase, std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  const auto at = [&](double q) { return us.empty() ? 0.0 : us[static_cast<std::size_t>(q * (us.size() - 1))]; };
  std::printf("| %s | %zu | %.2f | %.2f | %.2f | %.1f |\n", phase, us.size(), at(0.5), at(0.99), at(0.9999),
              us.empty() ? 0.0 : us.back());
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const auto ids = MakeIds(n);
  SessionDirectory dir(n + 1);
  const auto init = std::make_shared<const ClientInit>();
  constexpr std::size_t kPresent = 4096;  // looked up throughout
  for (std::size_t i = 0; i < kPresent; ++i) dir.Insert(std::make_shared<Session>(ids[i], init, 0));

  std::atomic<bool> growing{true};
  std::vector<double> during, rest;
  during.reserve(1 << 24);
  std::thread reader([&] {
    std::size_t i = 0;
    while (growing.load(std::memory_order_relaxed)) {
      const auto t0 = Clock::now();
      const bool found = dir.Find(ids[i++ % kPresent]) != nullptr;
      during.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      if (!found) std::abort();
    }
  });
  double slowest_insert_us = 0;
  std::vector<double> doublings;  // inserts over 200 us: those that doubled a shard
  const auto start = Clock::now();
  for (std::size_t i = kPresent; i < n; ++i) {
    const auto t0 = Clock::now();
    dir.Insert(std::make_shared<Session>(ids[i], init, 0));
    const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    slowest_insert_us = std::max(slowest_insert_us, us);
    if (us > 200) doublings.push_back(us);
  }
  const double insert_s = std::chrono::duration<double>(Clock::now() - start).count();
  growing = false;
  reader.join();
  rest.reserve(during.size());
  for (std::size_t i = 0; i < during.size(); ++i) {
    const auto t0 = Clock::now();
    if (dir.Find(ids[i % kPresent]) == nullptr) std::abort();
    rest.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::printf("%zu sessions inserted in %.2f s; slowest insert %.1f us; %zu table slots\n\n", dir.size(), insert_s,
              slowest_insert_us, dir.table_slots());
  std::sort(doublings.begin(), doublings.end());
  std::printf("inserts over 200 us: %zu; median %.0f us, p90 %.0f us\n\n", doublings.size(),
              doublings.empty() ? 0.0 : doublings[doublings.size() / 2],
              doublings.empty() ? 0.0 : doublings[doublings.size() * 9 / 10]);
  std::printf("| lookups | count | p50 us | p99 us | p99.99 us | max us |\n|---|---|---|---|---|---|\n");
  Report("while the shards grow", during);
  Report("at rest", rest);
}
