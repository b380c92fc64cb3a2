// The two kinds of hub subscriber.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "common/mutex.h"
#include "engine/fanout/hub.h"
#include "engine/request.h"
#include "engine/session.h"

namespace mcpx::engine {

// A 2025-11-25 session's resources/subscribe: notifications go, untagged, to
// its standalone stream, which keeps them for a resumption (Last-Event-ID)
// when no GET stream is attached.
class SessionSubscriber final : public Subscriber {
 public:
  explicit SessionSubscriber(const SessionPtr& session);
  bool Deliver(std::string_view method, const json::object& params, const std::string& text) override;
  bool alive() const override;

 private:
  const std::weak_ptr<Session> session_;
};

// A 2026-07-28 subscriptions/listen stream: the listen request's own stream,
// every notification tagged with its id (io.modelcontextprotocol/
// subscriptionId). It keeps the request alive (nothing else holds a
// stateless request that waits for nothing) until the engine lets go of it:
// the client closed the stream or fell behind (the request is cancelled),
// or the server ended it. Deliver is false once the request ended.
class ListenSubscriber final : public Subscriber {
 public:
  explicit ListenSubscriber(const std::shared_ptr<RequestState>& request);
  bool Deliver(std::string_view method, const json::object& params, const std::string& text) override;
  bool alive() const override { return !request_->done() && !request_->cancelled(); }
  // `params` with the subscription id added to its _meta.
  json::object Tagged(json::object params) const;
  const std::shared_ptr<RequestState>& request() const { return request_; }
  // When it last delivered a notification (or opened), engine clock.
  std::int64_t last_active_ms() const { return last_active_ms_.load(std::memory_order_relaxed); }
  // Runs `open` (subscribe, then send the acknowledgement) with deliveries
  // held back: none overtakes the acknowledgement, and the client sees the
  // acknowledgement only once its topics exist, whatever thread runs it.
  template <typename Open>
  void Opening(Open open) {
    MutexLock lock(&order_mu_);
    open();
  }

 private:
  const std::shared_ptr<RequestState> request_;
  Mutex order_mu_;  // taken before the hub's locks
  const json::value id_;
  std::atomic<std::int64_t> last_active_ms_;
};

}  // namespace mcpx::engine
