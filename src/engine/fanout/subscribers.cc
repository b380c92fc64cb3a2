#include "engine/fanout/subscribers.h"

#include "engine/engine.h"
#include "protocol/jsonrpc.h"
#include "protocol/meta.h"

namespace mcpx::engine {

SessionSubscriber::SessionSubscriber(const SessionPtr& session)
    : Subscriber(ClientIdentity{session->id(), session->init().client_info}), session_(session) {}

bool SessionSubscriber::Deliver(std::string_view, const json::object&, const std::string& text) {
  SessionPtr session = session_.lock();
  if (!session || session->state() == SessionState::kClosed) return false;
  if (Channel* channel = session->standalone()) channel->Send(text, false);
  return true;
}

bool SessionSubscriber::alive() const {
  SessionPtr session = session_.lock();
  return session && session->state() != SessionState::kClosed;
}

ListenSubscriber::ListenSubscriber(const std::shared_ptr<RequestState>& request)
    : Subscriber(ClientIdentity{std::string(), request->client_info()}),
      request_(request),
      id_(request->id()),
      last_active_ms_(request->engine().NowMs()) {}

json::object ListenSubscriber::Tagged(json::object params) const {
  json::object& meta = params["_meta"].emplace_object();
  meta[protocol::meta::kSubscriptionId] = id_;
  return params;
}

bool ListenSubscriber::Deliver(std::string_view method, const json::object& params, const std::string&) {
  MutexLock lock(&order_mu_);
  if (request_->done() || request_->cancelled()) return false;
  // Before the send: whoever sees the notification sees the stream active.
  last_active_ms_.store(request_->engine().NowMs(), std::memory_order_relaxed);
  request_->SendRelated(protocol::SerializeNotification(method, Tagged(params)));
  return true;
}

}  // namespace mcpx::engine
