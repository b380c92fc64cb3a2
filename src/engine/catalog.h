// The server's catalog of tools, resources, templates and prompts.
//
// Thread safety: copy-on-write. Readers take a shared_ptr to an immutable
// snapshot (a pointer copy under a reader lock, never held while a handler
// runs); writers copy, modify and publish a new snapshot. Registration is rare,
// reads are per request.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/mutex.h"
#include "guard/circuit_breaker.h"
#include "guard/gcra.h"
#include "engine/schema.h"
#include "engine/uri_template.h"
#include "mcpx/types.h"

namespace mcpx::engine {

// The first page of each list, serialized once per snapshot (on first use):
// a list request then copies text instead of building and serializing the
// tree. A copy (the next snapshot) starts empty.
class ListPageCache {
 public:
  enum Kind : std::size_t { kTools, kResources, kTemplates, kPrompts, kKinds };
  ListPageCache() = default;
  ListPageCache(const ListPageCache&) {}
  ListPageCache& operator=(const ListPageCache&) { return *this; }

  // The page's JSON text, made by `make` the first time.
  template <typename Make>
  const std::string& Get(Kind kind, Make make) const {
    std::call_once(once_[kind], [&] { text_[kind] = make(); });
    return text_[kind];
  }

 private:
  mutable std::array<std::once_flag, kKinds> once_;
  mutable std::array<std::string, kKinds> text_;
};

// A registered tool with what the server keeps for it: its call rate
// (Tool::rate), shared by every snapshot that holds the tool; replacing the
// tool starts afresh.
struct ToolEntry : Tool {
  // `default_breaker`: ServerOptions::tool_breaker. Throws
  // std::invalid_argument naming the tool when a schema does not compile.
  ToolEntry(Tool tool, const std::optional<BreakerPolicy>& default_breaker);
  // The input schema, compiled once: empty when `arguments` (an object;
  // absent or null: none, checked as an empty object) satisfy it, else the
  // first problem.
  std::string CheckArguments(const json::value* arguments) const;
  // Likewise for a result's structuredContent against the output schema;
  // empty when the tool has none.
  std::string CheckStructured(const json::value& structured) const;

  const std::shared_ptr<const CompiledSchema> input_validator;
  const std::shared_ptr<const CompiledSchema> output_validator;
  const guard::GcraRate call_rate;
  mutable guard::GcraCell calls;
  // Tool::breaker, else the default; null: none.
  const std::unique_ptr<guard::CircuitBreaker> breaker;
};

struct CatalogSnapshot {
  // Ordered maps: pagination walks them in a stable order.
  std::map<std::string, std::shared_ptr<const ToolEntry>, std::less<>> tools;
  std::map<std::string, std::shared_ptr<const Resource>, std::less<>> resources;
  std::vector<std::shared_ptr<const ResourceTemplate>> templates;
  std::map<std::string, std::shared_ptr<const Prompt>, std::less<>> prompts;
  std::shared_ptr<const CompletionHandler> completion;
  ListPageCache first_pages;
  // Whether any item of a kind (ListPageCache::Kind) ever had scopes: until
  // then, neither admission nor the lists look at them.
  std::array<bool, ListPageCache::kKinds> scoped{};
};


class Catalog {
 public:
  Catalog() : snapshot_(std::make_shared<const CatalogSnapshot>()) {}

  std::shared_ptr<const CatalogSnapshot> Get() const {
    ReaderMutexLock lock(&mu_);
    return snapshot_;
  }

  // Whether any tool ever registered had a call rate (Tool::rate): until
  // then, admission does not look tools up.
  bool has_tool_rates() const { return tool_rates_.load(std::memory_order_relaxed); }
  void NoteToolRate() { tool_rates_.store(true, std::memory_order_relaxed); }
  // Likewise for items with scopes: until one is registered, an
  // authenticated request does not fetch the snapshot to check them.
  bool has_scoped_items() const { return scoped_items_.load(std::memory_order_relaxed); }
  // Inside Update, for an item of `kind` being added to `c`: when it has
  // scopes, lists of that kind filter by scope and admission checks them.
  void NoteScopes(CatalogSnapshot& c, ListPageCache::Kind kind, bool has_scopes) {
    if (!has_scopes) return;
    c.scoped[kind] = true;
    scoped_items_.store(true, std::memory_order_relaxed);
  }

  // Applies `edit` to a copy and publishes it; returns what `edit` returned.
  template <typename Edit>
  auto Update(Edit&& edit) {
    MutexLock writer(&write_mu_);
    auto next = std::make_shared<CatalogSnapshot>(*Get());
    auto result = edit(*next);
    MutexLock lock(&mu_);
    snapshot_ = std::move(next);
    return result;
  }

 private:
  Mutex write_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable Mutex mu_;
  std::shared_ptr<const CatalogSnapshot> snapshot_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> tool_rates_{false};
  std::atomic<bool> scoped_items_{false};
};

// The catalog snapshot one admission reads, fetched on first use and then
// kept: however many of its checks look at the catalog (a stateless
// tools/call's header and capability checks, the scopes, the tool's call
// rate), an admission fetches the snapshot at most once.
//
// Thread safety: one admission's, on its own thread; not for sharing.
class CatalogView {
 public:
  explicit CatalogView(const Catalog& catalog) : catalog_(catalog) {}
  CatalogView(const CatalogView&) = delete;
  CatalogView& operator=(const CatalogView&) = delete;

  const CatalogSnapshot& operator*() {
    if (!snapshot_) [[unlikely]] Fetch();
    return *snapshot_;
  }
  const CatalogSnapshot* operator->() { return &**this; }

 private:
  void Fetch() { snapshot_ = catalog_.Get(); }

  const Catalog& catalog_;
  std::shared_ptr<const CatalogSnapshot> snapshot_;
};

}  // namespace mcpx::engine
