// The handle a handler receives: who is calling, and what it may do while it
// runs (report progress, log, ask the client, see cancellation, call back into
// the server).
//
// Thread safety: a Context is a cheap copyable handle; every method is safe to
// call from any thread, also after the request has finished (calls then do
// nothing). No lock of the server is held while a handler runs, so handlers may
// call any Server method, including ones that reach other sessions.
//
// Example:
//   server.AddTool({.name = "slow", .handler = [](mcpx::Context& ctx, const auto&) {
//     for (int i = 1; i <= 10 && !ctx.cancelled(); ++i) ctx.Progress(i, 10);
//     return mcpx::ToolResult::Text("done");
//   }});
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mcpx/json.h"
#include "mcpx/types.h"

namespace mcpx {

class Server;
namespace engine {
class RequestState;
}

// The client's answer to a server-to-client request (sampling, elicitation,
// roots/list). `ok` is false on a JSON-RPC error, a timeout, or a closed session.
struct ClientResponse {
  bool ok = false;
  json::value result;
  int error_code = 0;
  std::string error_message;
};

// A question for the client in the middle of a tool call, prompt or resource
// read (a multi-round-trip request). Context::Ask poses it the way the
// client's revision allows:
//   2026-07-28: the request ends with an input_required result listing the
//     questions; the client retries with the answers (inputResponses) and the
//     requestState the server sealed, and the handler runs again from the
//     start, now finding the answers;
//   2025-11-25 sessions: the question goes out as a server-to-client request
//     on the request's stream and Ask waits for the answer.
// So a handler is written once, as if every answer were at hand.
struct InputRequest {
  std::string method;  // "elicitation/create", "sampling/createMessage" or "roots/list"
  json::object params;

  static InputRequest Elicit(std::string message, json::object requested_schema);
  static InputRequest CreateMessage(json::array messages, std::int64_t max_tokens);
  static InputRequest ListRoots();
};

// Thrown by Context::Ask when a stateless client must answer first. Let it
// propagate out of the handler: the engine turns it into the input_required
// result. It is not a std::exception, so that handlers catching those do not
// swallow it.
class InputRequired {};

class Context {
 public:
  explicit Context(std::shared_ptr<engine::RequestState> state);

  // Who is calling: a session's facts fixed at initialize, or (2026-07-28,
  // no session) what the request's own _meta declares. session_id() is empty
  // without a session; the rest are empty for in-process calls.
  const std::string& session_id() const;
  const json::object& client_info() const;
  const json::object& client_capabilities() const;
  const std::string& protocol_version() const;
  // Who the request speaks for, when its transport authenticated it (HTTP
  // with AuthOptions): "<issuer> <subject>" (or "<issuer> client:<id>" for a
  // token without a subject); empty otherwise. And whether its token carries
  // `scope` (false when unauthenticated).
  std::string_view principal() const;
  bool HasScope(std::string_view scope) const;
  // The request's params._meta (empty object when absent).
  const json::object& request_meta() const;
  // Variables matched by a resource template, by name.
  const std::map<std::string, std::string>& template_vars() const;

  // True once the client sent notifications/cancelled for this request, the
  // request timed out, or the session ended. Handlers should stop early.
  bool cancelled() const;
  // Runs `fn` once when the request is cancelled (at once if it already is).
  // It may run on an I/O thread (timeouts fire there even when every worker
  // is busy): keep it quick and non-blocking, e.g. set a flag or stop a timer.
  void OnCancel(std::function<void()> fn);

  // notifications/progress, when the request carried a progressToken.
  bool has_progress_token() const;
  void Progress(double progress, std::optional<double> total = std::nullopt,
                std::string_view message = {});
  // notifications/message, sent only at or above the session's logging level
  // (2026-07-28: the request's _meta logLevel; none without one).
  void Log(LogLevel level, json::value data, std::string_view logger = {});
  // Any notification related to this request, sent on the request's stream.
  void Notify(std::string_view method, json::object params);

  // Sends a request to the client on this request's stream and calls `done`
  // with the answer on a worker thread. `timeout` zero means the server default.
  void RequestClient(std::string method, json::object params,
                     std::function<void(ClientResponse)> done,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  // Blocking form for synchronous handlers: occupies the worker until the
  // client answers or the timeout passes (the answer wakes it without needing
  // another worker, so a pool full of waiting handlers cannot deadlock).
  ClientResponse RequestClientSync(std::string method, json::object params,
                                   std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  // The client's answer to `request`, under `key` (unique within the
  // request, the same on every round: answers are matched by key). See
  // InputRequest. Asking for what the client did not declare it can do (an
  // elicitation of a client without the elicitation capability) throws
  // mcpx::Error(-32021); a failed or unanswered server-to-client request
  // (2025-11-25) throws mcpx::Error with the client's code.
  json::value Ask(const std::string& key, InputRequest request);
  // Several questions at once: a stateless client gets every unanswered one
  // in the same round. The answers, by key.
  json::object Ask(std::vector<std::pair<std::string, InputRequest>> questions);

  // Ends the HTTP response carrying this request's SSE stream now, without
  // ending the request (SSE polling): the client reconnects with Last-Event-ID
  // and receives what follows. No effect over stdio.
  void CloseStream();

  // Runs `fn` on a worker after `delay`, holding no thread meanwhile.
  void After(std::chrono::milliseconds delay, std::function<void()> fn);

  Server& server() const;

 private:
  friend class Server;  // Server::CallTool nests under the request
  std::shared_ptr<engine::RequestState> state_;
};

}  // namespace mcpx
