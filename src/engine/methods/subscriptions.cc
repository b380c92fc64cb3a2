// subscriptions/listen (2026-07-28, basic/patterns/subscriptions): a request
// that stays open as the stream of the notifications its filter asks for.
#include "engine/engine.h"
#include "engine/methods/methods.h"
#include "engine/methods/params.h"
#include "mcpx/error.h"

namespace mcpx::engine::methods {

void Listen(Engine& e, const RequestPtr& r, json::object& params) {
  const json::object* filter = FindObject(params, "notifications");
  if (filter == nullptr) throw Error(ErrorCode::kInvalidParams, "Invalid params: 'notifications' must be an object");
  std::vector<std::string> uris;
  if (const json::value* list = filter->if_contains("resourceSubscriptions"); list && !list->is_null()) {
    if (!list->is_array()) {
      throw Error(ErrorCode::kInvalidParams, "Invalid params: 'resourceSubscriptions' must be an array of URIs");
    }
    if (list->get_array().size() > e.options().max_subscriptions_per_session) {
      throw Error(ErrorCode::kInvalidParams, "Too many resource subscriptions for one stream");
    }
    for (const json::value& uri : list->get_array()) {
      if (!uri.is_string()) throw Error(ErrorCode::kInvalidParams, "Invalid params: resource URIs must be strings");
      uris.emplace_back(uri.get_string());
    }
  }
  auto wants = [filter](std::string_view key) {
    const json::value* v = filter->if_contains(key);
    return v && v->is_bool() && v->get_bool();
  };

  auto listen = std::make_shared<ListenSubscriber>(r);
  if (!e.AddListen(listen)) {
    throw Error(ErrorCode::kServerOverloaded, "Too many listen streams (in all, or from this address); retry later");
  }
  r->set_long_lived();
  json::object honoured;
  for (auto [key, kind] : {std::pair{"toolsListChanged", ListKind::kTools},
                           std::pair{"promptsListChanged", ListKind::kPrompts},
                           std::pair{"resourcesListChanged", ListKind::kResources}}) {
    if (wants(key)) honoured[key] = true;
  }
  if (!uris.empty()) {
    json::array accepted;
    for (const std::string& uri : uris) accepted.emplace_back(uri);
    honoured["resourceSubscriptions"] = std::move(accepted);
  }
  // Topics first, then the acknowledgement, with deliveries held back
  // meanwhile: it is the stream's first message, and a client that acts on
  // it finds its subscriptions in place.
  listen->Opening([&] {
    for (auto [key, kind] : {std::pair{"toolsListChanged", ListKind::kTools},
                             std::pair{"promptsListChanged", ListKind::kPrompts},
                             std::pair{"resourcesListChanged", ListKind::kResources}}) {
      if (wants(key)) e.hub().SubscribeList(listen, kind);
    }
    for (const std::string& uri : uris) e.hub().SubscribeResource(listen, uri);
    r->SendRelated(protocol::SerializeNotification("notifications/subscriptions/acknowledged",
                                                   listen->Tagged(json::object{{"notifications", honoured}})));
  });
  // The stream ends when the client closes it or cancels the request, or
  // it fell behind: then it leaves the hub at once.
  r->OnCancel([&e, weak = std::weak_ptr<ListenSubscriber>(listen)] {
    if (auto l = weak.lock()) {
      e.hub().Remove(*l);
      e.RemoveListen(l.get());
    }
  });
}

}  // namespace mcpx::engine::methods
