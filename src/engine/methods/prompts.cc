#include "engine/methods/methods.h"

#include "engine/engine.h"
#include "engine/methods/list.h"
#include "engine/methods/params.h"
#include "mcpx/error.h"

namespace mcpx::engine::methods {

void ListPrompts(Engine& e, const RequestPtr& r, json::object& params) {
  auto snapshot = e.catalog().Get();
  ReplyList(e, r, params, *snapshot, snapshot->prompts, ListPageCache::kPrompts, "prompts",
            [](const auto& kv) { return kv.second->ToJson(); },
            [](const auto& kv) -> const std::vector<std::string>& { return kv.second->scopes; });
}

void GetPrompt(Engine& e, const RequestPtr& r, json::object& params) {
  const std::string name = RequireString(params, "name");
  auto snapshot = e.catalog().Get();
  auto it = snapshot->prompts.find(name);
  if (it == snapshot->prompts.end()) throw Error(ErrorCode::kInvalidParams, "Unknown prompt: " + name);
  std::shared_ptr<const Prompt> prompt = it->second;
  LoadInput(e, *r, params, name, params.if_contains("arguments"));
  json::object arguments = TakeOptionalObject(params, "arguments");
  for (const auto& a : prompt->arguments) {
    const auto* v = arguments.if_contains(a.name);
    if (a.required && !v) {
      throw Error(ErrorCode::kInvalidParams, "Missing required argument: " + a.name);
    }
    if (v && !v->is_string()) {
      throw Error(ErrorCode::kInvalidParams, "Argument must be a string: " + a.name);
    }
  }
  e.Run(r, Execution::kPool, [&e, prompt, arguments = std::move(arguments)](const auto& req) {
    req->set_input_arguments(&arguments);  // for an input_required result (this task owns them)
    Context ctx(req);
    e.Reply(req, prompt->handler(ctx, arguments).ToJson());
  });
}

}  // namespace mcpx::engine::methods
