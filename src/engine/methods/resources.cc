#include "engine/methods/methods.h"

#include "engine/engine.h"
#include "engine/methods/list.h"
#include "engine/methods/params.h"
#include "mcpx/error.h"

namespace mcpx::engine::methods {

void ListResources(Engine& e, const RequestPtr& r, json::object& params) {
  auto snapshot = e.catalog().Get();
  ReplyList(e, r, params, *snapshot, snapshot->resources, ListPageCache::kResources, "resources",
            [](const auto& kv) { return kv.second->ToJson(); },
            [](const auto& kv) -> const std::vector<std::string>& { return kv.second->scopes; });
}

void ListResourceTemplates(Engine& e, const RequestPtr& r, json::object& params) {
  auto snapshot = e.catalog().Get();
  ReplyList(e, r, params, *snapshot, snapshot->templates, ListPageCache::kTemplates, "resourceTemplates",
            [](const auto& t) { return t->ToJson(); },
            [](const auto& t) -> const std::vector<std::string>& { return t->scopes; });
}

void ReadResource(Engine& e, const RequestPtr& r, json::object& params) {
  const std::string uri = RequireString(params, "uri");
  LoadInput(e, *r, params, uri, nullptr);
  auto snapshot = e.catalog().Get();
  ResourceReader reader;
  std::optional<std::chrono::milliseconds> ttl;
  if (auto it = snapshot->resources.find(uri); it != snapshot->resources.end()) {
    reader = it->second->read;
    ttl = it->second->cache_ttl;
  } else {
    for (const auto& t : snapshot->templates) {
      if (MatchUriTemplate(t->uri_template, uri, r->template_vars())) {
        reader = t->read;
        ttl = t->cache_ttl;
        break;
      }
    }
  }
  if (!reader) {
    // 2026-07-28 retired -32002: an unknown URI is an invalid param there.
    throw Error(r->stateless() ? ErrorCode::kInvalidParams : ErrorCode::kResourceNotFound, "Resource not found",
                json::object{{"uri", uri},
                             {"reason", "The URI is no listed resource's and matches none of the " +
                                            std::to_string(snapshot->templates.size()) + " resource templates"}});
  }
  e.Run(r, Execution::kPool, [&e, reader, uri, ttl](const auto& req) {
    Context ctx(req);
    json::array contents;
    for (const auto& c : reader(ctx, uri)) contents.push_back(c.ToJson());
    json::object result{{"contents", std::move(contents)}};
    AddCacheHints(e, *req, result);
    if (ttl && req->stateless()) result["ttlMs"] = ttl->count();
    e.Reply(req, std::move(result));
  });
}

void Subscribe(Engine& e, const RequestPtr& r, json::object& params) {
  const std::string uri = RequireString(params, "uri");
  if (const SessionPtr& session = r->session()) {
    if (!session->Subscribe(uri, e.options().max_subscriptions_per_session)) {
      throw Error(ErrorCode::kInvalidParams, "Too many subscriptions for this session");
    }
    e.hub().SubscribeResource(e.SubscriberOf(session), uri);
  }
  e.Reply(r, json::object());
}

void Unsubscribe(Engine& e, const RequestPtr& r, json::object& params) {
  const std::string uri = RequireString(params, "uri");
  if (const SessionPtr& session = r->session()) {
    session->Unsubscribe(uri);
    if (auto subscriber = session->subscriber()) e.hub().UnsubscribeResource(*subscriber, uri);
  }
  e.Reply(r, json::object());
}

}  // namespace mcpx::engine::methods
