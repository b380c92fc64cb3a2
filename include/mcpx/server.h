// mcpx::Server: the registry of tools, resources and prompts, and the session
// engine that serves them to MCP clients over one or more transports.
//
// Thread safety: every method is safe to call concurrently, from any thread,
// including from inside handlers. Registration may happen before or after
// Start(); list_changed notifications reach initialized sessions.
//
// Example:
//   mcpx::Server server({.name = "demo"});
//   server.AddTool({.name = "echo", .input_schema = ..., .handler = ...});
//   mcpx::HttpTransport http(server, {.port = 8080});
//   http.Listen();
//   server.Run();  // until Stop()
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mcpx/context.h"
#include "mcpx/json.h"
#include "mcpx/types.h"

namespace mcpx {

namespace engine {
class Engine;
struct ServerAccess;
}

// Who a notification would reach, for ServerOptions::notify_filter.
struct ClientIdentity {
  std::string session_id;  // empty for a 2026-07-28 subscriptions/listen stream
  json::object client_info;
};

// A security event (a guard's refusal or finding), as
// ServerOptions::on_security_event sees it. The views live for the call.
struct SecurityEventInfo {
  std::string_view kind;  // "rate_limited", "auth_failed", ...: mcpx_security_events_total's kind
  std::string_view address;
  std::string_view principal;
  std::string_view session_id;
  std::string_view detail;
};

struct ServerOptions {
  std::string name = "mcpx";
  std::string version = "0.1.0";
  std::string title;
  std::string instructions;

  // Threads running network I/O and inline handlers. 0: one.
  std::size_t io_threads = 0;
  // Threads running pool handlers. 0: the number of hardware threads (at least 2).
  std::size_t worker_threads = 0;
  // How worker threads give way to the I/O threads when cores are contended,
  // so that CPU-heavy handlers do not delay other sessions' network I/O
  // (docs/decisions.md has the measurements). Handlers get every idle cycle
  // either way.
  //   kIdle:   SCHED_IDLE: any other thread that wakes up preempts them;
  //   kNice:   the workers run at nice `worker_nice` (0-19);
  //   kNormal: scheduled like the I/O threads (for a machine shared with
  //            other CPU-hungry processes, where the two above starve them).
  enum class WorkerPriority { kNormal, kNice, kIdle };
  WorkerPriority worker_priority = WorkerPriority::kIdle;
  int worker_nice = 19;

  // Sessions idle this long are closed.
  std::chrono::milliseconds session_idle_timeout = std::chrono::minutes(30);
  // Sessions that never send notifications/initialized are closed after this.
  std::chrono::milliseconds init_timeout = std::chrono::seconds(60);
  // At most this many sessions exist at once; more are refused (HTTP 503).
  std::size_t max_sessions = 10000;
  // Requests a single session may have running at once.
  std::size_t max_inflight_per_session = 256;
  // Requests one 2025-11-25 session may send per second, `session_burst` at
  // once (0: one second's worth); more are refused until the session is
  // back under its rate: HTTP 429 with Retry-After, JSON-RPC -32000 with
  // data.retryAfterMs. 0: no limit. Stateless (2026-07-28) requests have no
  // session: with authentication, the same limit applies to each principal's
  // stateless requests together (without it, only HttpOptions::ip_rate).
  double session_rate = 0;
  double session_burst = 0;
  // Bytes one session may move per second, what it sends and the responses
  // it gets together, `session_bytes_burst` at once (0: one second's worth).
  // Its next request is refused (as above) until the bytes before it are
  // paid for; one request larger than the burst passes when nothing is
  // owed. 0: no limit. Likewise per principal for stateless requests.
  double session_bytes_rate = 0;
  double session_bytes_burst = 0;
  // Principals the per-principal limits above track at once; past it (only
  // while every tracked principal still owes), further principals share one
  // pair of limits. Principals that have refilled are dropped.
  std::size_t max_rate_principals = 65536;
  // The circuit breaker of every tool without its own (Tool::breaker).
  // Unset: none.
  std::optional<BreakerPolicy> tool_breaker;
  // Workers a single session's handlers may occupy at once; its further pool
  // handlers wait in its own queue, so no session can starve the others (a
  // handler blocked in RequestClientSync holds its worker). 0: a quarter of
  // worker_threads, at least 1. A stdio session, alone in its transport, has
  // no such bound. With few workers, several sessions together can still
  // hold them all: where clients may leave server requests unanswered, run
  // more workers (they cost little while blocked) or a shorter
  // client_request_timeout.
  std::size_t max_workers_per_session = 0;
  // Bytes held for clients, process-wide: request bodies being read, requests
  // in flight (charged their JSON text size), queued stream output. A request
  // that would pass it is refused: HTTP 503 with Retry-After while reading a
  // body, JSON-RPC -32000 once parsed.
  std::size_t max_buffered_bytes = std::size_t{1} << 30;
  // Bounds on what a request may make the server keep: its _meta object
  // (estimated in-memory bytes) and its progress token (bytes); larger ones
  // are refused with -32602. String ids longer than 256 bytes are refused
  // with -32600 by the codec.
  std::size_t max_meta_bytes = 64 << 10;
  std::size_t max_progress_token_bytes = 256;
  // Resource subscriptions a single session (or listen stream) may hold.
  std::size_t max_subscriptions_per_session = 1024;
  // 2026-07-28 subscriptions/listen streams open at once, in all and from one
  // client address (HTTP); more are refused (-32000).
  std::size_t max_listen_streams = 100000;
  std::size_t max_listen_streams_per_client = 10000;
  // A listen stream that delivered no notification for this long is ended
  // with its completion result (the client listens again if it still cares);
  // keepalives do not count. 0: never. Checked about once a second.
  std::chrono::milliseconds listen_idle_timeout = std::chrono::minutes(30);
  // Whether a subscriber may receive notifications/resources/updated for
  // `uri`: checked at every delivery, so a change of rights applies to
  // streams already open. Null: every subscriber.
  using NotifyFilter = std::function<bool(const ClientIdentity&, std::string_view uri)>;
  NotifyFilter notify_filter;
  // Items per page of the list methods.
  std::size_t page_size = 100;
  // 2026-07-28 caching hints on list, read and server/discover results: how
  // long a client may reuse one (ttlMs; 0: revalidate every time) and whether
  // shared caches may keep it (cacheScope "public") or only this client's
  // ("private"). Resources may set their own (Resource::cache_ttl).
  std::chrono::milliseconds cache_ttl{0};
  bool cache_public = false;
  // 2026-07-28: every result's _meta names the server
  // (io.modelcontextprotocol/serverInfo), as the revision recommends.
  bool result_server_info = true;
  // 2026-07-28 multi-round requests (Context::Ask): the requestState handed
  // to the client is sealed with HMAC-SHA256 under these keys; the first
  // seals, all open (rotate by prepending a new key, dropping the oldest once
  // its tokens have expired). Empty: a random key per process, said in the
  // log at Start() (state then dies with the process and binds to this
  // node). Nodes that share a load balancer share keys and an audience
  // (empty: `name`); a round's state expires after request_state_ttl.
  std::vector<std::string> request_state_keys;
  std::string request_state_audience;
  std::chrono::milliseconds request_state_ttl = std::chrono::minutes(10);
  // Default wait for the client's answer to a server-to-client request.
  std::chrono::milliseconds client_request_timeout = std::chrono::seconds(60);
  // Called for every security event (rate limits, reputation, invalid
  // tokens, missing scopes, foreign sessions, breakers), on the thread that
  // saw it, outside any lock: keep it quick (log, count, queue). They are
  // also counted on /metrics and listed by the admin endpoint. Unset: none.
  std::function<void(const SecurityEventInfo&)> on_security_event;
  // Tools without their own timeout are cancelled after this; 0: never.
  std::chrono::milliseconds tool_timeout = std::chrono::milliseconds(0);
  // The watchdog reports requests running longer than this (a log line and
  // mcpx_requests_overdue_total); 0: no watchdog.
  std::chrono::milliseconds watchdog_deadline = std::chrono::seconds(30);
  // The watchdog also cancels them: the handler sees ctx.cancelled() and the
  // client gets -32001.
  bool watchdog_cancels = false;
  // Whether the -32603 error of a handler that threw something other than
  // mcpx::Error or mcpx::ToolError carries the exception's what(). It is
  // logged either way; off, a client learns nothing of the server's insides.
  bool expose_exception_messages = false;
  // Whether a tool's structuredContent is checked against its outputSchema
  // before it is sent; one that does not match (or is missing) is answered
  // -32603 and logged, as the server's bug. For debug builds and tests: a
  // cost per result that production need not pay.
  bool check_structured_results = false;
};

// A snapshot of one session, from ListSessions().
struct SessionInfo {
  std::string id;
  std::string client_name;
  std::string protocol_version;
  bool initialized = false;
  std::chrono::milliseconds idle{0};
};

// One page of ListSessions().
struct SessionPage {
  std::vector<SessionInfo> sessions;
  // Where the next page starts; empty after the last.
  std::string next_cursor;
};

class Server {
 public:
  explicit Server(ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Each Add* replaces an item of the same name (URI, template) and tells
  // the sessions (list_changed). Throws std::invalid_argument naming the
  // item when it could never work: a tool name outside 1-128 characters of
  // A-Z a-z 0-9 _ - . (the MCP tool name rules), an item without a handler
  // or reader, a schema whose type is not "object", a resource template
  // that does not parse ({name} and {+name} expressions), a prompt
  // argument declared twice.
  void AddTool(Tool tool);
  bool RemoveTool(std::string_view name);
  void AddResource(Resource resource);
  bool RemoveResource(std::string_view uri);
  void AddResourceTemplate(ResourceTemplate resource_template);
  void AddPrompt(Prompt prompt);
  bool RemovePrompt(std::string_view name);
  void SetCompletionHandler(CompletionHandler handler);

  // Starts the I/O threads and the worker pool. Idempotent.
  void Start();
  // Stops accepting work, closes sessions, joins threads. Idempotent.
  void Stop();
  // Graceful shutdown, then Stop(): new sessions and requests are refused
  // (HTTP 503, JSON-RPC -32000 "Server shutting down"; answers and
  // notifications from clients are still taken), standalone SSE streams are
  // ended so that clients reconnect elsewhere, keep-alive ends, and running
  // requests get up to `drain` to finish; those still running then are
  // answered -32000 and cancelled. Close the transports' listeners first.
  void Shutdown(std::chrono::milliseconds drain);
  // Blocks until Stop() is called (from another thread or a signal handler).
  void Wait();
  // Start() then Wait().
  void Run();

  std::size_t session_count() const;
  // The sessions a page at a time: at most `limit` from `cursor` (empty for
  // the first page; an unknown cursor gives an empty page). A listing never
  // copies every session at once, whatever their number; sessions created or
  // closed meanwhile may or may not appear, none appears twice.
  SessionPage ListSessions(std::string_view cursor = {}, std::size_t limit = 100) const;
  // Sends a notification to one session's standalone stream. False if the
  // session does not exist.
  bool Notify(std::string_view session_id, std::string_view method, json::object params);
  // Ends a session as DELETE would. False if it does not exist.
  bool CloseSession(std::string_view session_id);
  // notifications/resources/updated to the sessions subscribed to `uri`.
  void NotifyResourceUpdated(std::string_view uri);
  // Runs a tool in-process on the calling thread, as a nested call of `parent`.
  // Throws mcpx::Error for an unknown tool; arguments that fail its schema,
  // like a ToolError its handler throws, give an error result (is_error).
  ToolResult CallTool(Context& parent, std::string_view name, json::object arguments);

  // Runs `fn` on a worker thread after `delay` (needs Start()).
  void After(std::chrono::milliseconds delay, std::function<void()> fn);

  // Counters in Prometheus text exposition format.
  std::string MetricsText() const;

  const ServerOptions& options() const;

 private:
  friend struct engine::ServerAccess;
  std::unique_ptr<engine::Engine> engine_;
};

}  // namespace mcpx
