// The MCP methods the engine implements, one family per file (tools.cc,
// resources.cc, prompts.cc, utilities.cc), and the table that names them.
//
// Each runs on the I/O thread that admitted the request, validates its
// params (throwing mcpx::Error, which the dispatcher turns into the
// request's JSON-RPC error), then completes the request itself or hands the
// user's handler to Engine::Run.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "engine/request.h"
#include "mcpx/json.h"
#include "mcpx/types.h"
#include "observe/metrics.h"

namespace mcpx::engine {

class Engine;
using RequestPtr = std::shared_ptr<RequestState>;

namespace methods {

using MethodFn = void (*)(Engine& e, const RequestPtr& r, json::object& params);
// Which eras have a method (bits).
inline constexpr std::uint8_t kSession = 1;    // 2025-11-25 and older, in a session
inline constexpr std::uint8_t kStateless = 2;  // 2026-07-28
struct MethodEntry {
  observe::MethodId id;
  MethodFn fn;
  std::uint8_t eras;
};
// The method named `name`, or null.
const MethodEntry* Find(std::string_view name);

void Discover(Engine& e, const RequestPtr& r, json::object& params);
void Ping(Engine& e, const RequestPtr& r, json::object& params);
void SetLogLevel(Engine& e, const RequestPtr& r, json::object& params);
void Complete(Engine& e, const RequestPtr& r, json::object& params);

void ListTools(Engine& e, const RequestPtr& r, json::object& params);
void CallTool(Engine& e, const RequestPtr& r, json::object& params);
// Runs a tool synchronously in the calling thread, as a nested call of
// `parent` (Server::CallTool). Throws mcpx::Error for an unknown tool or
// invalid arguments.
ToolResult CallToolInline(Engine& e, RequestState& parent, std::string_view name, json::object arguments);

void ListResources(Engine& e, const RequestPtr& r, json::object& params);
void ListResourceTemplates(Engine& e, const RequestPtr& r, json::object& params);
void ReadResource(Engine& e, const RequestPtr& r, json::object& params);
void Subscribe(Engine& e, const RequestPtr& r, json::object& params);
void Unsubscribe(Engine& e, const RequestPtr& r, json::object& params);

void ListPrompts(Engine& e, const RequestPtr& r, json::object& params);
void Listen(Engine& e, const RequestPtr& r, json::object& params);
void GetPrompt(Engine& e, const RequestPtr& r, json::object& params);

// 2026-07-28: the caching hints every list, read and discover result carries
// (ttlMs, cacheScope; ServerOptions::cache_ttl and cache_scope), added to
// `result` when `r` is stateless.
void AddCacheHints(const Engine& e, const RequestState& r, json::object& result);

// The capabilities `tool` requires that `declared` lacks, as a
// requiredCapabilities object ({"sampling": {}}); nullopt: none.
std::optional<json::object> MissingCapabilities(const Tool& tool, const json::object& declared);

// Multi-round input of a stateless request (input.cc): reads a retry's
// requestState and inputResponses into `r` (throwing -32602 for state that
// fails verification, has expired, or was issued for another request), and
// builds the input_required result for the questions `r` asked this round.
// `name` and `arguments` are what a requestState is bound to.
void LoadInput(Engine& e, RequestState& r, const json::object& params, std::string_view name,
               const json::value* arguments);
json::object InputRequiredResult(Engine& e, RequestState& r);

}  // namespace methods
}  // namespace mcpx::engine
