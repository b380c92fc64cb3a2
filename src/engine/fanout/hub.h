// The subscription hub: which subscribers want which notifications, and the
// delivery of one notification to all of them (the "registry of
// broadcasters" of docs/seeds' backend-concurrency-analysis).
//
// Topics are resource URIs (notifications/resources/updated) and the three
// list-changed kinds. Subscribers are 2025-11-25 sessions (resources/
// subscribe; delivered on the session's standalone stream) and 2026-07-28
// subscriptions/listen streams (every notification tagged with the
// subscription id). Each subscriber sits behind its own bounded queue in its
// transport: Deliver only enqueues, and a subscriber that fell behind or
// whose stream failed answers false and is dropped from every topic at once.
//
// Publishing goes through a NotificationBus (bus.h), so that a cross-node bus
// can carry it to the hubs of other nodes; the hub itself only delivers.
//
// Locking: topics are spread over shards, each with its own mutex, held only
// to add, remove, or copy a topic's subscriber list; never while delivering,
// and never while calling out (a filter, a subscriber). A subscriber's own
// topic list has its own mutex, taken before a shard's.
//
// Thread safety: safe for concurrent use.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "common/mutex.h"
#include "mcpx/json.h"
#include "mcpx/server.h"
#include "observe/metrics.h"

namespace mcpx::engine {

enum class ListKind : std::uint8_t { kTools, kPrompts, kResources };

// The list-changed notification of `kind`, and the reverse (nullopt for
// other methods).
std::string_view ListChangedMethod(ListKind kind);
std::optional<ListKind> ListKindOf(std::string_view method);

class Subscriber {
 public:
  explicit Subscriber(ClientIdentity identity) : identity_(std::move(identity)) {}
  virtual ~Subscriber() = default;
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // Hands over one notification (`text` is it serialized, untagged);
  // non-blocking. False: the subscriber is gone or fell behind, and the hub
  // forgets it.
  virtual bool Deliver(std::string_view method, const json::object& params, const std::string& text) = 0;
  // False once it can receive nothing more (its session closed, its request
  // ended): the periodic sweep removes what its removal paths missed.
  virtual bool alive() const = 0;

  const ClientIdentity& identity() const { return identity_; }

 private:
  friend class SubscriptionHub;
  const ClientIdentity identity_;
  Mutex topics_mu_;  // taken before a hub shard's
  std::vector<std::string> topics_ ABSL_GUARDED_BY(topics_mu_);
  bool removed_ ABSL_GUARDED_BY(topics_mu_) = false;
};

class SubscriptionHub {
 public:
  // `visible`: may this subscriber see updates of this URI (checked at
  // delivery; null: all may).
  SubscriptionHub(observe::Metrics& metrics, ServerOptions::NotifyFilter visible);

  // Adds `s` to a topic; false when `s` was already removed (its stream
  // ended meanwhile).
  bool SubscribeResource(const std::shared_ptr<Subscriber>& s, std::string_view uri);
  bool SubscribeList(const std::shared_ptr<Subscriber>& s, ListKind kind);
  void UnsubscribeResource(Subscriber& s, std::string_view uri);
  // Drops `s` from every topic: no delivery that starts afterwards reaches
  // it. Idempotent: true for the call that removed it.
  bool Remove(Subscriber& s);

  // Delivers to the topic's subscribers; returns how many took it.
  std::size_t DeliverResourceUpdated(std::string_view uri);
  std::size_t DeliverListChanged(ListKind kind);

  // Removes subscribers that are no longer alive(); returns how many. Run
  // periodically, on a worker: it visits every topic (copying each list under
  // its shard's lock, asking alive() with no lock held).
  std::size_t Sweep();

  std::size_t subscribers() const { return subscribers_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::size_t kShards = 16;
  struct Shard {
    Mutex mu;
    absl::flat_hash_map<std::string, std::vector<std::shared_ptr<Subscriber>>> topics ABSL_GUARDED_BY(mu);
  };
  Shard& ShardOf(std::string_view topic);
  bool Add(const std::shared_ptr<Subscriber>& s, std::string topic);
  void Drop(Subscriber& s, std::string_view topic);
  std::size_t Deliver(std::string_view topic, std::string_view method, const json::object& params,
                      std::string_view filter_uri);

  observe::Metrics& metrics_;
  const ServerOptions::NotifyFilter visible_;
  std::array<Shard, kShards> shards_;
  std::atomic<std::size_t> subscribers_{0};  // distinct subscribers with a topic
};

}  // namespace mcpx::engine
