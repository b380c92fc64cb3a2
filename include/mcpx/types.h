// Definitions of what an MCP server offers: tools, resources, resource templates,
// prompts, and their results. Plain value types; thread-compatible.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mcpx/json.h"

namespace mcpx {

class Context;

// Where a handler runs.
enum class Execution {
  // On the worker pool, apart from network I/O. The default: safe for handlers
  // that block or burn CPU.
  kPool,
  // On the I/O thread that received the request, with no thread hop. Only for
  // handlers that never block and finish in microseconds.
  kInline,
};

// Outcome of one tools/call. `content` holds MCP content blocks
// (text, image, audio, resource_link, resource).
struct ToolResult {
  json::array content;
  std::optional<json::object> structured_content;
  bool is_error = false;

  static ToolResult Text(std::string_view text);
  static ToolResult ErrorText(std::string_view text);
  json::object ToJson() const;
};

// Content-block helpers.
json::object TextContent(std::string_view text);
json::object ImageContent(std::string_view base64_data, std::string_view mime_type);
json::object AudioContent(std::string_view base64_data, std::string_view mime_type);
json::object EmbeddedTextResource(std::string_view uri, std::string_view mime_type,
                                  std::string_view text);

// Completion for asynchronous handlers. Call exactly once, from any thread;
// later calls are ignored. Completing with an Error sends a JSON-RPC error.
template <typename T>
class Reply {
 public:
  using Fn = std::function<void(T)>;
  using FailFn = std::function<void(int code, std::string message)>;
  Reply(Fn ok, FailFn fail) : ok_(std::move(ok)), fail_(std::move(fail)) {}
  void operator()(T value) const { ok_(std::move(value)); }
  void Fail(int code, std::string message) const { fail_(code, std::move(message)); }

 private:
  Fn ok_;
  FailFn fail_;
};

using ToolHandler = std::function<ToolResult(Context& ctx, const json::object& arguments)>;
using AsyncToolHandler =
    std::function<void(Context ctx, const json::object& arguments, Reply<ToolResult> reply)>;

// A tool's circuit breaker: after too many of its recent calls failed (or
// were slow), calls are answered at once with a tool error result naming
// the breaker, for `open_for`; then up to `half_open_calls` trial calls
// decide whether it closes again or stays open. A failure is an error
// result (isError), a JSON-RPC error or an exception from the handler.
struct BreakerPolicy {
  double failure_rate = 0.5;  // opens when this share of the window's calls failed; 0: not checked
  double slow_rate = 0;       // opens when this share took `slow_call` or longer; 0: not checked
  std::chrono::milliseconds slow_call = std::chrono::seconds(10);
  std::uint32_t min_calls = 20;  // calls in the window before it may open
  std::chrono::milliseconds window = std::chrono::seconds(30);
  std::chrono::milliseconds open_for = std::chrono::seconds(30);
  std::uint32_t half_open_calls = 3;
};

struct Tool {
  std::string name;
  std::string title;
  std::string description;
  json::object input_schema = {{"type", "object"}};
  std::optional<json::object> output_schema;
  std::optional<json::object> annotations;
  std::optional<json::object> meta;  // _meta
  Execution execution = Execution::kPool;
  // What runs a call: a ToolHandler, which returns the result, or an
  // AsyncToolHandler, which completes its Reply later from any thread. A
  // lambda of either shape converts; a tool without one is refused.
  std::variant<ToolHandler, AsyncToolHandler> handler;
  // Requests running longer are cancelled; zero means the server default.
  std::chrono::milliseconds timeout{0};
  // Client capabilities the tool cannot work without ("sampling",
  // "elicitation", "roots"): a call from a client that did not declare one
  // is refused before the handler runs (-32021, with
  // data.requiredCapabilities; HTTP 400 under 2026-07-28).
  std::vector<std::string> required_capabilities;
  // Calls per second of this tool from all clients together, `rate_burst`
  // at once (0: one second's worth); more are refused like a session over
  // its rate (HTTP 429 with Retry-After, JSON-RPC -32000). 0: no limit.
  double rate = 0;
  double rate_burst = 0;
  // OAuth scopes a caller's token must carry (HTTP with AuthOptions): one
  // without them is refused (403 insufficient_scope) and does not see it
  // listed. Empty: any authenticated caller.
  std::vector<std::string> scopes;
  // Its circuit breaker; unset: ServerOptions::tool_breaker.
  std::optional<BreakerPolicy> breaker;

  json::object ToJson() const;
};

// Contents of a resource: text or binary (base64 in `blob`).
struct ResourceContents {
  std::string uri;
  std::string mime_type;
  std::optional<std::string> text;
  std::optional<std::string> blob;
  json::object ToJson() const;
};

using ResourceReader = std::function<std::vector<ResourceContents>(Context& ctx, const std::string& uri)>;

struct Resource {
  std::string uri;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  std::optional<std::int64_t> size;
  ResourceReader read;
  // 2026-07-28: how long a client may reuse what resources/read returns;
  // unset: ServerOptions::cache_ttl.
  std::optional<std::chrono::milliseconds> cache_ttl;
  // As Tool::scopes.
  std::vector<std::string> scopes;
  json::object ToJson() const;
};

// A parameterised resource such as "file:///{path}" (RFC 6570 level 1 simple
// expansion: each {var} matches one or more characters other than '/').
struct ResourceTemplate {
  std::string uri_template;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  // Receives the concrete URI; the matched variables are in ctx.template_vars().
  ResourceReader read;
  // As Resource::cache_ttl, for every resource the template matches.
  std::optional<std::chrono::milliseconds> cache_ttl;
  // As Tool::scopes, for every resource the template matches.
  std::vector<std::string> scopes;
  json::object ToJson() const;
};

struct PromptArgument {
  std::string name;
  std::string description;
  bool required = false;
};

struct PromptResult {
  std::string description;
  json::array messages;  // PromptMessage objects
  json::object ToJson() const;
};

using PromptHandler = std::function<PromptResult(Context& ctx, const json::object& arguments)>;

struct Prompt {
  std::string name;
  std::string title;
  std::string description;
  std::vector<PromptArgument> arguments;
  PromptHandler handler;
  // As Tool::scopes.
  std::vector<std::string> scopes;
  json::object ToJson() const;
};

// completion/complete. `ref` is {"type":"ref/prompt","name":...} or
// {"type":"ref/resource","uri":...}; returns the candidate values.
struct CompletionRequest {
  json::object ref;
  std::string argument_name;
  std::string argument_value;
  json::object context_arguments;
};
struct CompletionResult {
  std::vector<std::string> values;
  std::optional<std::int64_t> total;
  bool has_more = false;
};
using CompletionHandler = std::function<CompletionResult(Context& ctx, const CompletionRequest&)>;

// Log levels of logging/setLevel, in increasing severity (RFC 5424 order).
enum class LogLevel { kDebug, kInfo, kNotice, kWarning, kError, kCritical, kAlert, kEmergency };
std::string_view LogLevelName(LogLevel level);
std::optional<LogLevel> ParseLogLevel(std::string_view name);

}  // namespace mcpx
