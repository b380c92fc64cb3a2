#include "engine/methods/methods.h"

#include "engine/engine.h"
#include "engine/methods/params.h"
#include "mcpx/error.h"
#include "protocol/meta.h"
#include "protocol/version.h"

namespace mcpx::engine::methods {

void Discover(Engine& e, const RequestPtr& r, json::object&) {
  json::array versions;
  for (std::string_view v : protocol::ModernVersions()) versions.emplace_back(v);
  json::object result{{"supportedVersions", std::move(versions)},
                      {"capabilities", e.Capabilities(/*stateless=*/true)},
                      {"_meta", {{protocol::meta::kServerInfo, e.ServerInfo()}}}};
  if (!e.options().instructions.empty()) result["instructions"] = e.options().instructions;
  AddCacheHints(e, *r, result);
  e.Reply(r, std::move(result));
}

void AddCacheHints(const Engine& e, const RequestState& r, json::object& result) {
  if (!r.stateless()) return;
  result["ttlMs"] = e.options().cache_ttl.count();
  result["cacheScope"] = e.options().cache_public ? "public" : "private";
}

void Ping(Engine& e, const RequestPtr& r, json::object&) { e.Reply(r, json::object()); }

void SetLogLevel(Engine& e, const RequestPtr& r, json::object& params) {
  auto level = ParseLogLevel(RequireString(params, "level"));
  if (!level) throw Error(ErrorCode::kInvalidParams, "Invalid params: unknown log level");
  if (r->session()) r->session()->set_log_level(*level);
  e.Reply(r, json::object());
}

void Complete(Engine& e, const RequestPtr& r, json::object& params) {
  CompletionRequest request;
  request.ref = OptionalObject(params, "ref");
  const json::object argument = OptionalObject(params, "argument");
  request.argument_name = RequireString(argument, "name");
  request.argument_value = RequireString(argument, "value");
  request.context_arguments = OptionalObject(OptionalObject(params, "context"), "arguments");
  auto snapshot = e.catalog().Get();
  auto handler = snapshot->completion;
  e.Run(r, Execution::kPool, [&e, handler, request = std::move(request)](const auto& req) {
    CompletionResult result;
    if (handler) {
      Context ctx(req);
      result = (*handler)(ctx, request);
    }
    json::array values;
    for (std::size_t i = 0; i < result.values.size() && i < 100; ++i) values.push_back(json::string(result.values[i]));
    json::object completion{{"values", std::move(values)},
                            {"hasMore", result.has_more || result.values.size() > 100}};
    if (result.total) completion["total"] = *result.total;
    e.Reply(req, json::object{{"completion", std::move(completion)}});
  });
}

}  // namespace mcpx::engine::methods
