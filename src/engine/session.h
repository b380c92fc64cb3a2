// One MCP session: what the client declared at initialize (immutable), and the
// little that changes (state, log level, subscriptions, in-flight requests,
// pending server-to-client requests).
//
// An idle session is kept small (issue 12: at most 1 KiB with its transport
// state): the initialize declaration is shared between sessions of the same
// kind of client, tables allocate nothing until first used, one mutex guards
// them all.
//
// Thread safety: safe for concurrent use. Immutable fields are read without
// locks; scalar state is atomic; the tables share one small mutex, held only
// for one map operation, never while calling out.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "common/intrusive_list.h"
#include "common/mutex.h"
#include "engine/channel.h"
#include "engine/principal.h"
#include "guard/gcra.h"
#include "mcpx/context.h"
#include "mcpx/json.h"

namespace mcpx::engine {

class ExpiryWheel;
class RequestState;
class Subscriber;

// Facts fixed at initialize.
struct ClientInit {
  std::string protocol_version;
  json::object client_info;
  json::object capabilities;
};

enum class SessionState : std::uint8_t { kInitializing, kReady, kClosed };

// Privately a list node: the expiry wheel (expiry_wheel.h) links it.
class Session : private ListNode {
 public:
  // `init` is usually shared with other sessions of the same kind of client
  // (ClientInitInterner).
  Session(std::string id, std::shared_ptr<const ClientInit> init, std::int64_t now_ms);
  Session(std::string id, ClientInit init, std::int64_t now_ms);
  ~Session();

  const std::string& id() const { return id_; }
  const ClientInit& init() const { return *init_; }

  SessionState state() const { return state_.load(std::memory_order_acquire); }
  void MarkReady();
  // Transitions to kClosed; true for the caller that closed it.
  bool MarkClosed();

  void Touch(std::int64_t now_ms) { last_active_ms_.store(now_ms, std::memory_order_relaxed); }
  std::int64_t last_active_ms() const { return last_active_ms_.load(std::memory_order_relaxed); }
  std::int64_t created_ms() const { return created_ms_; }

  LogLevel log_level() const { return static_cast<LogLevel>(log_level_.load(std::memory_order_relaxed)); }
  void set_log_level(LogLevel level) { log_level_.store(static_cast<int>(level), std::memory_order_relaxed); }

  // Its hub subscriber (engine/fanout), made by `make` on first use.
  template <typename Make>
  std::shared_ptr<Subscriber> EnsureSubscriber(Make make) {
    MutexLock lock(&mu_);
    if (!subscriber_) subscriber_ = make();
    return subscriber_;
  }
  std::shared_ptr<Subscriber> subscriber() const {
    MutexLock lock(&mu_);
    return subscriber_;
  }

  // Resource subscriptions. Subscribe returns false when the table is full.
  bool Subscribe(const std::string& uri, std::size_t limit);
  void Unsubscribe(const std::string& uri);
  bool IsSubscribed(const std::string& uri) const;

  // In-flight requests, for cancellation. Register returns false when the
  // session already runs `limit` requests or the id is in use.
  bool RegisterRequest(const std::string& id_key, std::shared_ptr<RequestState> request,
                       std::size_t limit);
  void UnregisterRequest(const std::string& id_key, const RequestState* request);
  std::shared_ptr<RequestState> FindRequest(const std::string& id_key) const;
  std::size_t inflight() const;

  // Server-to-client requests awaiting the client's answer.
  using ClientCallback = std::function<void(ClientResponse)>;
  std::int64_t NextClientRequestId() { return next_client_request_id_.fetch_add(1) + 1; }
  void AddPendingClientRequest(std::int64_t id, ClientCallback callback);
  // Removes and returns the callback, or an empty function if none is pending.
  ClientCallback TakePendingClientRequest(std::int64_t id);

  // Its share of the worker pool: AdmitPoolTask returns `task` when fewer
  // than `limit` of its tasks run (the caller runs it), else queues it and
  // returns an empty function. When an admitted task ends, NextPoolTask
  // returns the next queued one, which inherits the slot, or releases the
  // slot and returns an empty function.
  std::function<void()> AdmitPoolTask(std::function<void()> task, std::size_t limit);
  std::function<void()> NextPoolTask();

  // Everything still running or pending; used when the session ends.
  std::vector<std::shared_ptr<RequestState>> TakeAllRequests();
  std::vector<ClientCallback> TakeAllPendingClientRequests();

  // The channel for messages unrelated to any request (list_changed, resource
  // updates). Set once by the transport before the session is published.
  void set_standalone(std::shared_ptr<Channel> channel) { standalone_ = std::move(channel); }
  Channel* standalone() const { return standalone_.get(); }
  void set_transport(std::shared_ptr<SessionTransport> t) { transport_ = std::move(t); }
  // Sessions that live as long as their transport (stdio) never idle out.
  void set_expires(bool expires) { expires_ = expires; }
  bool expires() const { return expires_; }
  // Workers its handlers may occupy at once; 0: the server's default
  // (ServerOptions::max_workers_per_session). Set before publishing.
  void set_worker_share(std::size_t share) { worker_share_ = share; }
  std::size_t worker_share() const { return worker_share_; }
  SessionTransport* transport() const { return transport_.get(); }
  // The transport instance that opened it (Engine::NewTransportId); only
  // that one may serve it. Set before publishing.
  void set_owner(std::uint64_t owner) { owner_ = owner; }
  std::uint64_t owner() const { return owner_; }

  // The principal it is bound to (Principal::key), when its initialize was
  // authenticated: only that principal may use it. Set before publishing.
  void set_principal(std::shared_ptr<const std::string> key) { principal_ = std::move(key); }
  // Whether a request that speaks for `who` (null: unauthenticated) may use it.
  bool BelongsTo(const Principal* who) const {
    if (!principal_) return who == nullptr;
    return who != nullptr && who->key == *principal_;
  }

  // Its rate limits (ServerOptions::session_rate, session_bytes_rate): one
  // atomic word each, so a check takes no lock.
  guard::GcraCell& request_rate() { return request_rate_; }
  guard::GcraCell& byte_rate() { return byte_rate_; }

 private:
  friend class ExpiryWheel;

  const std::string id_;
  const std::shared_ptr<const ClientInit> init_;
  const std::int64_t created_ms_;
  std::atomic<SessionState> state_{SessionState::kInitializing};
  std::atomic<std::int64_t> last_active_ms_;
  std::atomic<int> log_level_{static_cast<int>(LogLevel::kDebug)};
  std::atomic<std::int64_t> next_client_request_id_{0};
  std::shared_ptr<Channel> standalone_;
  std::shared_ptr<SessionTransport> transport_;
  std::uint64_t owner_ = 0;  // set before the session is published
  bool expires_ = true;  // set before the session is published
  std::size_t worker_share_ = 0;
  std::shared_ptr<const std::string> principal_;
  guard::GcraCell request_rate_;
  guard::GcraCell byte_rate_;

  // One mutex for every table below, each use a single map operation (one
  // per table would cost an idle session 56 bytes each).
  mutable Mutex mu_;
  absl::flat_hash_set<std::string> subscriptions_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<Subscriber> subscriber_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<RequestState>> inflight_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::int64_t, ClientCallback> pending_client_ ABSL_GUARDED_BY(mu_);
  std::size_t pool_running_ ABSL_GUARDED_BY(mu_) = 0;
  // A vector, not a deque: empty costs nothing (idle sessions stay small),
  // and it holds at most max_inflight_per_session tasks.
  std::vector<std::function<void()>> pool_queue_ ABSL_GUARDED_BY(mu_);
};

using SessionPtr = std::shared_ptr<Session>;

}  // namespace mcpx::engine
