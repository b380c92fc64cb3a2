// The engine as a transport sees it: the one interface through which every
// transport (HTTP, stdio) hands messages in, whatever the protocol revision.
//
//   Admit    picks the message's revision, finds its session (or opens one
//            for initialize: the only initialize path), and says why not;
//   Deliver  hands an admitted message to the engine, whose replies and
//            notifications come back through the transport's Channel;
//   Close    ends a session (HTTP DELETE, stdio EOF);
// plus the runtime services a transport runs on (I/O contexts, the worker
// pool, the clock, metrics, the byte budget).
//
// A session belongs to the Port (transport instance) that opened it: another
// transport presenting its id is answered as for an unknown id, so that a
// transport may trust the SessionTransport it attached to its own sessions.
//
// Refusals are values, not exceptions (the input is untrusted); the transport
// words them in its own terms (HTTP status, or a JSON-RPC error line).
//
// Thread safety: safe for concurrent use.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/io_context.hpp>

#include "common/byte_budget.h"
#include "engine/channel.h"
#include "engine/maintenance.h"
#include "guard/security_monitor.h"
#include "engine/request_scope.h"
#include "engine/session.h"
#include "mcpx/json.h"
#include "observe/metrics.h"
#include "protocol/jsonrpc.h"

namespace mcpx {
class Server;
}

namespace mcpx::engine {

class Engine;

// What a transport knows of a message besides its body.
struct Envelope {
  // The session the message names (HTTP: Mcp-Session-Id; stdio: the id of
  // the session its initialize opened). Empty: none.
  std::string_view session_id;
  // The revision the transport says the message speaks (HTTP:
  // MCP-Protocol-Version). Empty: unsaid.
  std::string_view protocol_version;
  // Whether a message naming no session is served without one (stdio, where
  // the connection is the session, before initialize) instead of refused.
  bool session_optional = false;
  // Who the message speaks for, when the transport authenticated it (HTTP
  // bearer tokens): a session is bound to the principal of its initialize,
  // and items with scopes need them. Null: unauthenticated.
  const Principal* principal = nullptr;

  // HTTP under 2026-07-28: the headers that mirror the body (Mcp-Method,
  // Mcp-Name, Mcp-Param-{Name}: {Name, raw value}), checked against it.
  // False over stdio, which has no headers.
  bool has_headers = false;
  std::string_view mcp_method;
  std::string_view mcp_name;
  std::span<const std::pair<std::string, std::string>> mcp_params;
};

// Why a message was not admitted.
enum class Refusal : std::uint8_t {
  kNone,
  kSessionRequired,     // names no session, and needs one
  kUnknownSession,      // unknown, closed, or another transport's
  kUnsupportedVersion,  // names a revision this server does not speak
  kVersionTooNew,       // names a revision newer than its session's
  kAlreadyInitialized,  // initialize naming a session
  kInvalidParams,       // initialize with invalid params; a 2026 request without its _meta
  kUnavailable,         // at the session cap, or shutting down
  kHeaderMismatch,      // 2026: a header missing, or not what the body says
  kMethodNotFound,      // 2026: a method the request's revision does not have
  kMissingCapability,   // 2026: the client did not declare what the tool needs
  kRateLimited,         // over its session's or its tool's rate: retry after retry_after_ms
  kInsufficientScope,   // its principal lacks a scope the tool, prompt or resource needs (data.requiredScopes)
};

struct Admission {
  Refusal refusal = Refusal::kNone;
  // The JSON-RPC error of a refusal.
  int code = 0;
  std::string message;
  json::value data;
  // The message's session; null for a sessionless one.
  SessionPtr session;
  // For initialize: its serialized response, for the transport to send (the
  // session is open and published by then).
  std::string initialized;
  // A 2026-07-28 message: served without a session, its revision and client
  // named in its own _meta.
  bool stateless = false;
  // kRateLimited: how long until the same request would pass.
  std::int64_t retry_after_ms = 0;

  bool admitted() const { return refusal == Refusal::kNone; }
};

// Gives a new session its transport state (standalone channel, streams)
// before it is published. Runs only for initialize.
using SessionSetup = std::function<void(Session&)>;

class Port {
 public:
  explicit Port(Server& server);

  Admission Admit(const protocol::Message& message, const Envelope& envelope, const SessionSetup& setup);
  // For requests that carry no message (HTTP GET and DELETE): the session
  // named by `envelope`.
  Admission Resolve(const Envelope& envelope);
  // Handles a message admitted with `session` (null: sessionless). A
  // request's response goes to `channel` exactly once, unless the client
  // cancels it; notifications and responses need no channel.
  // `scope`: a sessionless connection's stateless requests (stdio), so that
  // notifications/cancelled finds them; null over HTTP.
  // `peer`: the client's address, for per-client limits (HTTP).
  // `principal`: who it speaks for (the Envelope's at admission), or null.
  void Deliver(const SessionPtr& session, protocol::Message message, std::shared_ptr<Channel> channel,
               const std::shared_ptr<RequestScope>& scope = nullptr, std::string_view peer = {},
               PrincipalPtr principal = nullptr);
  // Ends the session as DELETE does. Safe to call twice.
  void Close(const SessionPtr& session);

  // --- Runtime services ------------------------------------------------------
  // The I/O context for a new connection (round-robin over the I/O threads),
  // and the first one (for listeners).
  boost::asio::io_context& NextIo();
  boost::asio::io_context& io();
  // Runs `fn` on a worker thread.
  void Post(std::function<void()> fn);
  // A security event (Engine::RecordSecurity), and the monitor itself.
  void RecordSecurity(guard::SecurityEventKind kind, std::string_view address, std::string_view detail = {});
  guard::SecurityMonitor& security() const;
  // Registers housekeeping run on a worker every few seconds (Maintenance).
  [[nodiscard]] Maintenance::Handle AddMaintenance(Maintenance::Task task);
  bool draining() const;
  std::int64_t NowMs() const;
  // Milliseconds since the Unix epoch (token expiry), from the engine's clock.
  std::int64_t WallMs() const;
  observe::Metrics& metrics() const { return metrics_; }
  ByteBudget& buffer_budget() const { return buffer_budget_; }
  std::string MetricsText() const;

 private:
  Engine& engine_;
  observe::Metrics& metrics_;
  ByteBudget& buffer_budget_;
  const std::uint64_t id_;  // the transport's: sessions opened here carry it
};

}  // namespace mcpx::engine
