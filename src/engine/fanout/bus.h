// Where notifications are published. The in-process bus hands them to this
// node's hub at once. A cross-node bus (say, Redis pub/sub for several mcpx
// nodes behind one load balancer) would also send them to the other nodes
// and hand what arrives from them to the local hub: delivery (hub.h) does not
// change with the bus.
//
// Thread safety: implementations are safe for concurrent use.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "engine/fanout/hub.h"

namespace mcpx::engine {

class NotificationBus {
 public:
  virtual ~NotificationBus() = default;
  virtual void PublishResourceUpdated(std::string_view uri) = 0;
  virtual void PublishListChanged(ListKind kind) = 0;
};

// Delivers through `run` (the engine passes its worker pool: a fan-out to
// many streams then neither holds up the publishing handler nor the I/O
// thread it may run on, which meanwhile writes the frames already queued);
// without one, on the publishing thread. Deliveries run on several workers,
// so two publications may arrive in either order: both are "this changed"
// signals, after which a client re-reads.
class LocalBus final : public NotificationBus {
 public:
  using Runner = std::function<void(std::function<void()>)>;
  explicit LocalBus(SubscriptionHub& hub, Runner run = nullptr) : hub_(hub), run_(std::move(run)) {}
  void PublishResourceUpdated(std::string_view uri) override {
    if (!run_) {
      hub_.DeliverResourceUpdated(uri);
      return;
    }
    run_([&hub = hub_, uri = std::string(uri)] { hub.DeliverResourceUpdated(uri); });
  }
  void PublishListChanged(ListKind kind) override {
    if (!run_) {
      hub_.DeliverListChanged(kind);
      return;
    }
    run_([&hub = hub_, kind] { hub.DeliverListChanged(kind); });
  }

 private:
  SubscriptionHub& hub_;
  const Runner run_;
};

}  // namespace mcpx::engine
