#include "engine/methods/methods.h"

#include <algorithm>
#include <atomic>
#include <future>

#include "engine/engine.h"
#include "engine/methods/list.h"
#include "engine/methods/params.h"
#include "mcpx/error.h"
#include "observe/log.h"

namespace mcpx::engine::methods {
namespace {

// One call through its tool's circuit breaker, recorded exactly once when
// the call ends, however it ends: a handler that throws, or an async
// handler whose reply is dropped unsent, counts as failed.
class BreakerCall {
 public:
  BreakerCall(Engine& e, std::shared_ptr<const ToolEntry> tool, guard::Permit permit)
      : e_(e), tool_(std::move(tool)), permit_(permit), start_us_(e.NowMs() * 1000) {}
  BreakerCall(const BreakerCall&) = delete;
  BreakerCall& operator=(const BreakerCall&) = delete;
  ~BreakerCall() {
    const std::int64_t now_us = e_.NowMs() * 1000;
    tool_->breaker->Record(permit_, failed_.load(std::memory_order_relaxed), now_us - start_us_, now_us);
  }
  void Done(bool failed) { failed_.store(failed, std::memory_order_relaxed); }

 private:
  Engine& e_;
  const std::shared_ptr<const ToolEntry> tool_;
  const guard::Permit permit_;
  const std::int64_t start_us_;
  std::atomic<bool> failed_{true};
};

// The tool error result of a call its open breaker refused.
ToolResult BreakerOpen(const std::string& name, const guard::Permit& permit) {
  const std::int64_t seconds = (permit.retry_after_us + 999'999) / 1'000'000;
  ToolResult result = ToolResult::ErrorText(
      "Tool " + name + " is unavailable: its circuit breaker is " + std::string(guard::Name(permit.state)) +
      " after too many recent failures; retry in " + std::to_string(std::max<std::int64_t>(seconds, 1)) + " s");
  return result;
}

ToolResult InvalidArguments(std::string_view tool, std::string_view problem) {
  return ToolResult::ErrorText("Invalid arguments for tool " + std::string(tool) + ": " + std::string(problem));
}

// A synchronous handler's result; a ToolError it throws is its error result.
ToolResult RunSync(const ToolHandler& handler, Context& ctx, const json::object& arguments) {
  try {
    return handler(ctx, arguments);
  } catch (const ToolError& error) {
    return ToolResult::ErrorText(error.what());
  }
}

// Replies with `result`; first, where ServerOptions::check_structured_results
// asks, checks it against the tool's output schema (a mismatch is the
// server's bug: -32603, and logged).
void Complete(Engine& e, const RequestPtr& r, const ToolEntry& tool, const ToolResult& result) {
  if (e.options().check_structured_results && tool.output_validator && !result.is_error) {
    std::string problem = "it has none";
    if (result.structured_content) problem = tool.CheckStructured(json::value(*result.structured_content));
    if (!problem.empty()) {
      observe::Log().error("tool {}: structuredContent does not match its outputSchema: {}", tool.name, problem);
      e.Fail(r, ErrorCode::kInternalError,
             "Tool " + tool.name + " returned structuredContent that does not match its outputSchema: " + problem);
      return;
    }
  }
  e.Reply(r, result.ToJson());
}

}  // namespace

std::optional<json::object> MissingCapabilities(const Tool& tool, const json::object& declared) {
  json::object missing;
  for (const std::string& capability : tool.required_capabilities) {
    if (!declared.contains(capability)) missing[capability] = json::object();
  }
  if (missing.empty()) return std::nullopt;
  return missing;
}

void ListTools(Engine& e, const RequestPtr& r, json::object& params) {
  auto snapshot = e.catalog().Get();
  ReplyList(e, r, params, *snapshot, snapshot->tools, ListPageCache::kTools, "tools",
            [](const auto& kv) { return kv.second->ToJson(); },
            [](const auto& kv) -> const std::vector<std::string>& { return kv.second->scopes; });
}

void CallTool(Engine& e, const RequestPtr& r, json::object& params) {
  const std::string name = RequireString(params, "name");
  auto snapshot = e.catalog().Get();
  auto it = snapshot->tools.find(name);
  if (it == snapshot->tools.end()) {
    throw Error(ErrorCode::kInvalidParams, "Unknown tool: " + name);
  }
  std::shared_ptr<const ToolEntry> tool = it->second;
  if (auto missing = MissingCapabilities(*tool, r->client_capabilities())) {
    throw Error(ErrorCode::kMissingCapability, "Client capability required by " + name,
                json::object{{"requiredCapabilities", std::move(*missing)}});
  }
  LoadInput(e, *r, params, name, params.if_contains("arguments"));
  FindObject(params, "arguments");  // an object or nothing, else -32602
  // Input that fails the schema is the model's to fix: a tool error result
  // naming the problem, not a protocol error (SEP-1303).
  if (std::string problem = tool->CheckArguments(params.if_contains("arguments")); !problem.empty()) {
    e.Reply(r, InvalidArguments(name, problem).ToJson());
    return;
  }
  json::object arguments = TakeOptionalObject(params, "arguments");

  const auto timeout = tool->timeout.count() > 0 ? tool->timeout : e.options().tool_timeout;
  if (timeout.count() > 0) {
    std::weak_ptr<RequestState> weak = r;
    e.AfterOnIo(timeout, [&e, weak] {
      if (auto req = weak.lock()) e.TimeOut(req);
    });
  }

  std::shared_ptr<BreakerCall> call;
  if (tool->breaker) {
    const guard::Permit permit = tool->breaker->TryAcquire(e.NowMs() * 1000);
    if (!permit.allowed) {
      e.metrics().breaker_rejections.Add();
      e.Reply(r, BreakerOpen(name, permit).ToJson());
      return;
    }
    call = std::make_shared<BreakerCall>(e, tool, permit);
  }

  e.Run(r, tool->execution, [&e, tool, call, arguments = std::move(arguments)](const auto& req) {
    req->set_input_arguments(&arguments);  // for an input_required result (this task owns them)
    Context ctx(req);
    if (const auto* async = std::get_if<AsyncToolHandler>(&tool->handler)) {
      try {
        (*async)(ctx, arguments,
                 mcpx::Reply<ToolResult>(
                     [&e, req, call, tool](ToolResult result) {
                       if (call) call->Done(result.is_error);
                       Complete(e, req, *tool, result);
                     },
                     [&e, req](int code, std::string message) { e.Fail(req, code, message); }));
      } catch (const ToolError& error) {
        e.Reply(req, ToolResult::ErrorText(error.what()).ToJson());
      }
      return;
    }
    ToolResult result = RunSync(std::get<ToolHandler>(tool->handler), ctx, arguments);
    if (call) call->Done(result.is_error);
    Complete(e, req, *tool, result);
  });
}

ToolResult CallToolInline(Engine& e, RequestState& parent, std::string_view name, json::object arguments) {
  auto snapshot = e.catalog().Get();
  auto it = snapshot->tools.find(name);
  if (it == snapshot->tools.end()) {
    throw Error(ErrorCode::kInvalidParams, "Unknown tool: " + std::string(name));
  }
  std::shared_ptr<const ToolEntry> tool = it->second;
  json::value value(std::move(arguments));
  if (std::string problem = tool->CheckArguments(&value); !problem.empty()) return InvalidArguments(name, problem);
  arguments = std::move(value.get_object());
  auto child = std::make_shared<RequestState>(&e, parent.session(), parent.id(), "tools/call",
                                              json::object(), nullptr);
  parent.OnCancel([weak = std::weak_ptr<RequestState>(child)] {
    if (auto c = weak.lock()) c->Cancel(false);
  });
  Context ctx(child);
  const auto* async = std::get_if<AsyncToolHandler>(&tool->handler);
  if (!async) return RunSync(std::get<ToolHandler>(tool->handler), ctx, arguments);
  auto promise = std::make_shared<std::promise<ToolResult>>();
  auto future = promise->get_future();
  try {
    (*async)(ctx, arguments,
             mcpx::Reply<ToolResult>([promise](ToolResult result) { promise->set_value(std::move(result)); },
                                     [promise](int code, std::string message) {
                                       promise->set_exception(std::make_exception_ptr(Error(code, message)));
                                     }));
  } catch (const ToolError& error) {
    return ToolResult::ErrorText(error.what());
  }
  return future.get();
}

}  // namespace mcpx::engine::methods
