// Session-directory microbenchmark: the same operation mixes over 100k
// sessions for a global std::mutex around std::unordered_map (the design
// documents' "before"), mcpx's sharded directory, TBB's concurrent_hash_map
// and libcuckoo. Prints ops/s per thread count; compare rows of one run.
//
//   mix "read": 95% lookup, 4% touch (lookup + atomic store), 1% create+remove
//   mix "churn": 50% lookup, 25% create, 25% remove
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <libcuckoo/cuckoohash_map.hh>
#include <tbb/concurrent_hash_map.h>

#include "engine/session_directory.h"

namespace {

using mcpx::engine::ClientInit;
using mcpx::engine::Session;
using mcpx::engine::SessionDirectory;
using mcpx::engine::SessionPtr;

constexpr int kSessions = 100'000;

const std::vector<std::string>& Ids() {
  static const std::vector<std::string> ids = [] {
    std::vector<std::string> v;
    std::mt19937_64 rng(42);
    char buf[33];
    for (int i = 0; i < 2 * kSessions; ++i) {
      std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                    static_cast<unsigned long long>(rng()));
      v.emplace_back(buf);
    }
    return v;
  }();
  return ids;
}

SessionPtr Make(const std::string& id) { return std::make_shared<Session>(id, ClientInit{}, 0); }

struct GlobalMutexMap {
  std::mutex mu;
  std::unordered_map<std::string, SessionPtr> map;
  SessionPtr Find(const std::string& id) {
    std::lock_guard<std::mutex> l(mu);
    auto it = map.find(id);
    return it == map.end() ? nullptr : it->second;
  }
  void Insert(const std::string& id) {
    auto s = Make(id);
    std::lock_guard<std::mutex> l(mu);
    map.emplace(id, std::move(s));
  }
  void Remove(const std::string& id) {
    SessionPtr gone;
    std::lock_guard<std::mutex> l(mu);
    auto it = map.find(id);
    if (it != map.end()) {
      gone = std::move(it->second);
      map.erase(it);
    }
  }
};

struct ShardedDirectory {
  SessionDirectory dir{4 * kSessions};
  SessionPtr Find(const std::string& id) { return dir.Find(id); }
  void Insert(const std::string& id) { dir.Insert(Make(id)); }
  void Remove(const std::string& id) { dir.Remove(id); }
};

struct TbbMap {
  using Map = tbb::concurrent_hash_map<std::string, SessionPtr>;
  Map map;
  SessionPtr Find(const std::string& id) {
    Map::const_accessor a;
    return map.find(a, id) ? a->second : nullptr;
  }
  void Insert(const std::string& id) {
    Map::accessor a;
    if (map.insert(a, id)) a->second = Make(id);
  }
  void Remove(const std::string& id) { map.erase(id); }
};

struct CuckooMap {
  libcuckoo::cuckoohash_map<std::string, SessionPtr> map;
  SessionPtr Find(const std::string& id) {
    SessionPtr out;
    map.find_fn(id, [&](const SessionPtr& s) { out = s; });
    return out;
  }
  void Insert(const std::string& id) { map.insert(id, Make(id)); }
  void Remove(const std::string& id) { map.erase(id); }
};

template <typename Map>
Map& Shared() {
  static Map* map = [] {
    auto* m = new Map();
    for (int i = 0; i < kSessions; ++i) m->Insert(Ids()[i]);
    return m;
  }();
  return *map;
}

// `read_pct`: lookups (and touches); the rest split between create and remove
// of ids outside the preloaded set, so the population stays near 100k.
template <typename Map, int kReadPct>
void BM_Mix(benchmark::State& state) {
  Map& map = Shared<Map>();
  const auto& ids = Ids();
  std::mt19937_64 rng(1234 + state.thread_index());
  std::uniform_int_distribution<int> pick(0, kSessions - 1);
  std::uniform_int_distribution<int> pct(0, 99);
  std::int64_t now = 0;
  for (auto _ : state) {
    const int p = pct(rng);
    if (p < kReadPct) {
      SessionPtr s = map.Find(ids[pick(rng)]);
      if (s && p < 4) s->Touch(++now);  // a share of the reads touch
      benchmark::DoNotOptimize(s);
    } else {
      const std::string& id = ids[kSessions + pick(rng)];
      if ((p - kReadPct) % 2 == 0) map.Insert(id); else map.Remove(id);
    }
  }
  state.SetItemsProcessed(state.iterations());
}

#define MIXES(Map)                                                                  \
  BENCHMARK_TEMPLATE(BM_Mix, Map, 99)->Name("read95/" #Map)->ThreadRange(1, 16)->UseRealTime(); \
  BENCHMARK_TEMPLATE(BM_Mix, Map, 50)->Name("churn50/" #Map)->ThreadRange(1, 16)->UseRealTime();

MIXES(GlobalMutexMap)
MIXES(ShardedDirectory)
MIXES(TbbMap)
MIXES(CuckooMap)

}  // namespace

BENCHMARK_MAIN();
