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
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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
