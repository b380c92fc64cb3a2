// Where notifications are published. The in-process bus hands them to this
// node's hub at once. A cross-node bus (say, Redis pub/sub for several mcpx
// nodes behind one load balancer) would also send them to the other nodes
// and hand what arrives from them to the local hub: delivery (hub.h) does not
// change with the bus.
//
// Thread safety: implementations are safe for concurrent use.
#pragma once

#include <string_view>

#include "engine/fanout/hub.h"

namespace mcpx::engine {

class NotificationBus {
 public:
  virtual ~NotificationBus() = default;
  virtual void PublishResourceUpdated(std::string_view uri) = 0;
  virtual void PublishListChanged(ListKind kind) = 0;
};

class LocalBus final : public NotificationBus {
 public:
  explicit LocalBus(SubscriptionHub& hub) : hub_(hub) {}
  void PublishResourceUpdated(std::string_view uri) override { hub_.DeliverResourceUpdated(uri); }
  void PublishListChanged(ListKind kind) override { hub_.DeliverListChanged(kind); }

 private:
  SubscriptionHub& hub_;
};

}  // namespace mcpx::engine
