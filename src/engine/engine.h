// The session engine: owns the threads, the session directory and the catalog,
// and turns each incoming JSON-RPC message into work and replies.
//
// Threading: each I/O thread runs its own io_context (transports and inline
// handlers): connections are spread over them by `NextIo()` and stay on one,
// so no scheduler lock is shared between I/O threads. `io()` is the first
// context, which also runs the engine's timers. `pool()` runs handlers that
// may block. The engine holds no lock of its own
// while any handler runs, while waiting for a client, or while a transport
// writes: it only ever looks things up, releases, then acts.
//
// Its parts live in one file each: engine.cc (threads and scheduling),
// sessions.cc (admission, initialize, expiry), dispatch.cc (messages in,
// replies and notifications out), watchdog.cc, and methods/ (one file per
// family of MCP methods). Transports see it only through Port (port.h).
//
// Thread safety: safe for concurrent use.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/container/flat_hash_map.h"
#include "common/byte_budget.h"
#include "common/mutex.h"
#include "common/sealer.h"
#include "engine/catalog.h"
#include "engine/channel.h"
#include "engine/client_init_interner.h"
#include "engine/expiry_wheel.h"
#include "engine/fanout/bus.h"
#include "engine/fanout/hub.h"
#include "engine/fanout/subscribers.h"
#include "engine/inflight.h"
#include "engine/maintenance.h"
#include "engine/port.h"
#include "engine/request.h"
#include "engine/session.h"
#include "engine/session_directory.h"
#include "guard/gcra.h"
#include "guard/key_table.h"
#include "guard/security_monitor.h"
#include "mcpx/server.h"
#include "observe/metrics.h"
#include "protocol/jsonrpc.h"

namespace mcpx::engine {

class Engine {
 public:
  Engine(Server& server, ServerOptions options);
  ~Engine();

  Server& server() { return server_; }
  const ServerOptions& options() const { return options_; }
  boost::asio::io_context& io() { return *ios_.front(); }
  // The I/O context for a new connection, round-robin over the I/O threads.
  boost::asio::io_context& NextIo();
  observe::Metrics& metrics() { return metrics_; }
  // ServerOptions::session_bytes_rate, for the responses a session is sent.
  const guard::GcraRate& session_byte_rate() const { return session_byte_rate_; }
  // The session limits applied per principal to stateless (2026-07-28)
  // requests, which have no session (admission.cc; the table, sessions.cc):
  // charges `bytes` sent to one of `principal`'s requests (its response, the
  // messages on its stream).
  void ChargePrincipalBytes(const Principal& principal, std::size_t bytes);
  // Drops the principals whose cells have refilled completely at `now_ms`;
  // returns how many. Run by the maintenance sweep; public for tests.
  std::size_t SweepPrincipalRates(std::int64_t now_ms);
  // Principals the table holds now (ServerOptions::max_rate_principals).
  std::size_t principal_rate_keys() const { return principal_rates_.size(); }
  // Bytes held for clients, process-wide (ServerOptions::max_buffered_bytes).
  ByteBudget& buffer_budget() { return buffer_budget_; }
  SessionDirectory& sessions() { return sessions_; }
  Catalog& catalog() { return catalog_; }

  void Start();
  void Stop();
  void Wait();
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  // See Server::Shutdown. Blocks the caller up to `drain` (plus a flush of
  // the I/O threads); Stop() follows.
  void Drain(std::chrono::milliseconds drain);
  bool draining() const { return draining_.load(std::memory_order_acquire); }

  // --- Sessions -------------------------------------------------------------
  // A fresh id for a transport instance: the owner mark of its sessions.
  std::uint64_t NewTransportId() { return next_transport_id_.fetch_add(1, std::memory_order_relaxed) + 1; }
  // Port::Admit and Port::Resolve for the transport `owner`.
  Admission Admit(const protocol::Message& message, const Envelope& envelope, const SessionSetup& setup,
                  std::uint64_t owner);
  Admission Resolve(const Envelope& envelope, std::uint64_t owner);
  // Validates initialize params and builds an unpublished session; null with
  // `error` set on invalid params.
  SessionPtr NewSession(const json::object& initialize_params, std::string* error = nullptr);
  // Publishes into the directory; false when full (counted as rejected).
  bool Publish(const SessionPtr& session);
  // The initialize result for `session`.
  json::object InitializeResult(const Session& session) const;
  // What the server offers: to sessions (initialize), or to stateless
  // clients (server/discover).
  json::object Capabilities(bool stateless) const;
  json::object ServerInfo() const;
  // Finds a live session and marks it active.
  SessionPtr FindSession(std::string_view id);
  // Removes and closes: cancels its requests, fails pending client requests,
  // closes its transport state. Safe to call twice.
  void CloseSession(const SessionPtr& session);
  // Closes sessions idle past their timeout (or never initialized in time):
  // those the expiry wheel has come due, not a walk of every session. The
  // timer runs it in bounded steps (ContinueSweep); this runs it whole, for
  // tests. Returns how many it closed.
  std::size_t SweepExpired();
  // When `session` expires, as things stand: its init deadline while it
  // initializes, else its idle deadline.
  std::int64_t ExpiryDeadline(const Session& session) const;
  // Reports (and with watchdog_cancels, cancels) requests running past the
  // watchdog deadline at steady-clock microsecond `now_us` (default: now);
  // returns how many it found. Looks only at requests in flight.
  std::size_t CheckOverdue();
  std::size_t CheckOverdue(std::int64_t now_us);
  // The requests running now (watchdog, drain).
  InflightRequests& inflight() { return inflight_; }
  const ExpiryWheel& expiry() const { return expiry_; }

  // --- Messages -------------------------------------------------------------
  // Handles one message of `session` (which may be null only for stdio before
  // initialize). A request's response goes to `channel` exactly once (unless
  // the client cancels it); notifications and responses need no channel.
  void HandleMessage(const SessionPtr& session, protocol::Message message,
                     std::shared_ptr<Channel> channel, const std::shared_ptr<RequestScope>& scope = nullptr,
                     std::string_view peer = {}, PrincipalPtr principal = nullptr);

  // Sends a server-to-client request on `via` (or the session's standalone
  // channel) and calls `done` with the answer: on a worker, or, with
  // `complete_inline`, on whichever thread delivers the answer (for `done`s
  // that only wake a waiter: a worker blocked in RequestClientSync must not
  // need another worker to be woken, or a busy pool would deadlock).
  void RequestClient(const SessionPtr& session, Channel* via, std::string method,
                     json::object params, std::function<void(ClientResponse)> done,
                     std::chrono::milliseconds timeout, bool complete_inline = false);

  // Notifications unrelated to a request: to one session, or to all ready
  // ones and the listen streams that asked for it (list_changed).
  bool NotifySession(const SessionPtr& session, std::string_view method, const json::object& params);
  void NotifyAll(std::string_view method, const json::object& params);
  // To the subscribers of `uri`: sessions (resources/subscribe) and listen
  // streams, through the bus.
  void NotifyResourceUpdated(std::string_view uri);

  // --- Fan-out (fanout/) -------------------------------------------------------
  SubscriptionHub& hub() { return hub_; }
  NotificationBus& bus() { return *bus_; }
  // A session's hub subscriber, made on its first resources/subscribe.
  std::shared_ptr<Subscriber> SubscriberOf(const SessionPtr& session);
  // Listen streams: counted against ServerOptions::max_listen_streams and,
  // by client address, max_listen_streams_per_client (false when either is
  // full), and ended with their completion result by Drain().
  bool AddListen(const std::shared_ptr<ListenSubscriber>& listen);
  void RemoveListen(const ListenSubscriber* listen);
  // Ends, with their completion result, the listen streams that delivered
  // nothing for ServerOptions::listen_idle_timeout; returns how many. Run by
  // the sweep about once a second; public for tests.
  std::size_t EndIdleListens();

  // Security events (guard/security_monitor.h): every refusal a guard makes,
  // from any transport; counted on /metrics, listed by the admin endpoint.
  guard::SecurityMonitor& security() { return security_; }
  void RecordSecurity(guard::SecurityEventKind kind, std::string_view address, std::string_view principal = {},
                      std::string_view session = {}, std::string_view detail = {});

  // Housekeeping run on a worker every kMaintenancePeriod (the guards'
  // stale keys).
  Maintenance& maintenance() { return maintenance_; }
  static constexpr std::int64_t kMaintenancePeriodMs = 10'000;

  // Runs `fn` on a worker thread.
  void Post(std::function<void()> fn);
  // Runs `fn` on a worker after `delay`.
  void After(std::chrono::milliseconds delay, std::function<void()> fn);
  // Runs `fn` on an I/O thread after `delay`: for the engine's own quick
  // deadlines (timeouts), which must fire even when every worker is busy.
  void AfterOnIo(std::chrono::milliseconds delay, std::function<void()> fn);

  std::int64_t NowMs() const { return now_ms_(); }
  void SetClockForTesting(std::function<std::int64_t()> now_ms) { now_ms_ = std::move(now_ms); }
  // Milliseconds since the Unix epoch: for what outlives this process
  // (requestState expiry, which another node may check).
  std::int64_t WallMs() const { return wall_ms_(); }
  void SetWallClockForTesting(std::function<std::int64_t()> wall_ms) { wall_ms_ = std::move(wall_ms); }
  // Seals and opens 2026-07-28 requestState (ServerOptions::request_state_keys).
  const Sealer& sealer() const { return sealer_; }

  std::string MetricsText() const;

  // --- For the method implementations (methods/) ------------------------------
  // Runs `fn(request)` either inline or on the pool (within the session's
  // share), turning exceptions into JSON-RPC errors for that request only.
  void Run(const std::shared_ptr<RequestState>& request, Execution where,
           std::function<void(const std::shared_ptr<RequestState>&)> fn);
  // Completes `r` (the first completion counts), counting it.
  void Reply(const std::shared_ptr<RequestState>& r, json::value result);
  void Fail(const std::shared_ptr<RequestState>& r, int code, std::string_view message,
            const json::value& data = nullptr);
  // -32603 for a handler's unexpected exception: logged, its what() sent
  // only with ServerOptions::expose_exception_messages.
  void FailInternal(const std::shared_ptr<RequestState>& r, const std::exception& e);
  // Completes `r` with a list page already serialized (a catalog snapshot's
  // first page), adding a stateless request's caching hints, resultType and
  // serverInfo as Reply does.
  void ReplyListText(const std::shared_ptr<RequestState>& r, std::string_view page);
  // Cancels `r` and answers -32001 (tool timeout or watchdog).
  void TimeOut(const std::shared_ptr<RequestState>& r);

 private:
  void HandleRequest(const SessionPtr& session, protocol::Message& message,
                     std::shared_ptr<Channel> channel, const std::shared_ptr<RequestScope>& scope,
                     std::string_view peer, PrincipalPtr principal);
  void HandleNotification(const SessionPtr& session, const protocol::Message& message,
                          const std::shared_ptr<RequestScope>& scope);
  void HandleClientResponse(const SessionPtr& session, const protocol::Message& message);

  // Refuses a request before it is registered: the error goes straight to
  // `channel`.
  void Refuse(const protocol::Message& message, Channel& channel, observe::MethodId method, int code,
              std::string_view text);
  // Runs `task` on the pool within `session`'s share of the workers.
  void PostForSession(const SessionPtr& session, std::function<void()> task);
  void RunAdmitted(const SessionPtr& session, std::function<void()> task);

  // The expiry sweep's period, which is also the expiry wheel's tick.
  static std::chrono::milliseconds SweepInterval(const ServerOptions& options);
  // When the expiry wheel should look at `session`: its deadline, or sooner
  // while it initializes (it may become ready and idle out first).
  std::int64_t NextExpiryLook(const Session& session) const;
  // One bounded step of the expiry sweep at `now`: looks at up to `budget`
  // sessions, counting those it closes in `expired`; true when done.
  bool SweepStep(std::int64_t now, std::size_t budget, std::size_t* expired);
  // The timer's sweep: steps of kSweepSlice on the I/O thread until done.
  void ContinueSweep(std::int64_t now, std::size_t expired);
  void AfterSweep(std::size_t expired);
  // Sessions one sweep step looks at: each is a few loads, and those that
  // expire are closed (well under a millisecond for the step).
  static constexpr std::size_t kSweepSlice = 256;
  void ScheduleSweep();
  void ScheduleWatchdog();
  // Closes a session already removed from the directory.
  void Finalize(const SessionPtr& session);
  // The initialize path: builds, sets up and publishes a session of `owner`.
  Admission Open(const protocol::Message& initialize, const SessionSetup& setup, std::uint64_t owner,
                 const Principal* principal);
  // A 2026-07-28 message: its _meta, headers and method (admission.cc).
  Admission AdmitStateless(const protocol::Message& message, const Envelope& envelope, CatalogView& catalog);
  // The rate limits that need the parsed message (admission.cc): its
  // session's requests and bytes (a stateless request's: its principal's,
  // when `who` is set), its tool's calls. Refuses `admitted` with
  // kRateLimited, or returns it as it was.
  Admission Throttle(const protocol::Message& message, const Principal* who, CatalogView& catalog,
                     Admission admitted);
  // A client's requests/s and bytes/s, ServerOptions::session_rate and
  // session_bytes_rate on `requests` and `bytes` (a session's cells, or a
  // stateless principal's): takes one request and its bytes, or, for a
  // notification or an answer, only charges its bytes. Which cell refused,
  // with `*wait_ns` set; kNone when admitted.
  enum class Over : std::uint8_t { kNone, kRequests, kBytes };
  Over TakeClientLimits(guard::GcraCell& requests, guard::GcraCell& bytes, const protocol::Message& message,
                        std::int64_t now_ns, std::int64_t* wait_ns) const;
  // The same on the cells of a stateless request's principal (sessions.cc,
  // with the rest of the principal table).
  Over TakePrincipalLimits(const Principal& who, const protocol::Message& message, std::int64_t now_ns,
                           std::int64_t* wait_ns);
  // The tool a tools/call names, when it has a call rate.
  std::int64_t ToolWaitNs(const protocol::Message& message, CatalogView& catalog, std::int64_t now_ns);
  // Refuses `admitted` with kInsufficientScope when the tool, prompt or
  // resource the message names needs a scope `who` lacks (admission.cc).
  Admission CheckScopes(const protocol::Message& message, const Principal* who, CatalogView& catalog,
                        Admission admitted);

  // Ends every listen stream with its completion result (shutdown).
  void EndListens();
  void EndListen(const std::shared_ptr<ListenSubscriber>& listen);

  Server& server_;
  const ServerOptions options_;
  std::function<std::int64_t()> now_ms_;
  std::function<std::int64_t()> wall_ms_;
  const Sealer sealer_;
  const guard::GcraRate session_rate_;       // ServerOptions::session_rate
  const guard::GcraRate session_byte_rate_;  // ServerOptions::session_bytes_rate
  // Those two limits for stateless requests, by Principal::key: a bounded
  // table (ServerOptions::max_rate_principals; past it, principals share
  // the overflow cells), swept of refilled principals by maintenance.
  struct PrincipalCells {
    guard::GcraCell requests;
    guard::GcraCell bytes;
    bool Full(std::int64_t now_ns) const { return requests.Full(now_ns) && bytes.Full(now_ns); }
  };
  guard::KeyTable<PrincipalCells> principal_rates_;
  // Stateless results' fixed members, serialized once (Reply): the
  // serverInfo _meta, and that with "resultType":"complete" before it.
  std::string server_info_member_;
  std::string complete_members_;
  std::string list_members_;  // the caching hints, then complete_members_ (or resultType alone)
  observe::Metrics metrics_;
  ByteBudget buffer_budget_;
  // Before the I/O contexts: a transport's state, freed as they shut down,
  // removes its task from here.
  Maintenance maintenance_;
  guard::SecurityMonitor security_;
  std::size_t workers_per_session_ = 1; // set by Start()
  SessionDirectory sessions_;
  ClientInitInterner client_inits_;
  ExpiryWheel expiry_;
  InflightRequests inflight_;
  Catalog catalog_;
  SubscriptionHub hub_;
  std::unique_ptr<NotificationBus> bus_;
  Mutex listens_mu_;
  absl::flat_hash_map<const ListenSubscriber*, std::shared_ptr<ListenSubscriber>> listens_
      ABSL_GUARDED_BY(listens_mu_);
  // Open listen streams by client address; an address leaves at zero, so the
  // table holds at most max_listen_streams entries.
  absl::flat_hash_map<std::string, std::size_t> listens_by_peer_ ABSL_GUARDED_BY(listens_mu_);

  // One context per I/O thread (at least one), each with concurrency hint 1:
  // run by exactly that thread.
  std::vector<std::unique_ptr<boost::asio::io_context>> ios_;
  std::atomic<std::size_t> next_io_{0};
  std::atomic<std::uint64_t> next_transport_id_{0};
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  // The worker pool: its own io_context, run by threads we start (so that we
  // can set their scheduling priority).
  boost::asio::io_context pool_;
  std::vector<std::thread> io_threads_;
  std::vector<std::thread> worker_threads_;
  std::vector<WorkGuard> io_work_;
  std::unique_ptr<WorkGuard> pool_work_;
  boost::asio::steady_timer sweep_timer_;
  std::int64_t last_hub_sweep_ms_ = 0;  // touched only by the timer's sweep (I/O thread)
  std::int64_t last_maintenance_ms_ = 0;  // likewise
  boost::asio::steady_timer watchdog_timer_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> draining_{false};
  std::latch stopped_{1};
  std::atomic<bool> joined_{false};
};

}  // namespace mcpx::engine
