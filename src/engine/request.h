// The engine's record of one request while it runs: where its messages go,
// whether it was cancelled, and the exactly-once completion.
//
// Thread safety: safe for concurrent use. `cancelled_` and `done_` are atomics;
// cancel callbacks sit behind `mu_` and run after it is released.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/byte_budget.h"
#include "common/intrusive_list.h"
#include "common/mutex.h"
#include "engine/channel.h"
#include "engine/principal.h"
#include "engine/session.h"
#include "mcpx/json.h"
#include "mcpx/types.h"

namespace mcpx::engine {

class Engine;
class InflightRequests;

// Privately a list node: the in-flight registry (inflight.h) links it while
// it runs.
class RequestState : public std::enable_shared_from_this<RequestState>, private ListNode {
 public:
  RequestState(Engine* engine, SessionPtr session, json::value id, std::string method,
               json::object meta, std::shared_ptr<Channel> channel, bool stateless = false);
  ~RequestState();
  RequestState(const RequestState&) = delete;
  RequestState& operator=(const RequestState&) = delete;

  Engine& engine() const { return *engine_; }
  // Null for in-process calls that have no session.
  const SessionPtr& session() const { return session_; }
  const json::value& id() const { return id_; }
  const std::string& id_key() const { return id_key_; }
  const std::string& method() const { return method_; }
  const json::object& meta() const { return meta_; }
  // A 2026-07-28 request: no session; who the client is and what it can do
  // come from its own _meta, read by the accessors below.
  bool stateless() const { return stateless_; }
  // The request's revision: its session's, or its _meta's; empty for
  // in-process calls and stdio's before initialize.
  const std::string& protocol_version() const;
  const json::object& client_capabilities() const;
  const json::object& client_info() const;
  // The client's network address (a stateless HTTP request's), for
  // per-client limits; empty otherwise.
  const std::string& peer() const { return peer_; }
  void set_peer(std::string_view peer) { peer_ = peer; }
  // Who it speaks for, when its transport authenticated it; else null.
  const PrincipalPtr& principal() const { return principal_; }
  void set_principal(PrincipalPtr principal) { principal_ = std::move(principal); }
  // The level at or above which it may log (2026: _meta's logLevel; nullopt:
  // not at all. Sessions: the session's level).
  std::optional<LogLevel> log_level() const;
  const json::value& progress_token() const { return progress_token_; }
  std::map<std::string, std::string>& template_vars() { return template_vars_; }

  // Steady-clock microseconds when the request arrived.
  std::int64_t started_us() const { return started_us_; }
  // Microseconds since it arrived (for the latency histogram).
  std::uint64_t ElapsedUs() const;
  // A request meant to stay open (a subscriptions/listen stream): the
  // watchdog leaves it alone.
  void set_long_lived() { long_lived_.store(true, std::memory_order_relaxed); }
  bool long_lived() const { return long_lived_.load(std::memory_order_relaxed); }
  // True the first time it is called: the watchdog reports a request once.
  bool MarkOverdue() { return !overdue_.exchange(true, std::memory_order_relaxed); }

  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  bool done() const { return done_.load(std::memory_order_acquire); }

  // Marks the request cancelled and runs the cancel callbacks. When
  // `drop_response` is set the request's channel is finished at once and any
  // later result is discarded (the client said it no longer wants it).
  void Cancel(bool drop_response);
  void OnCancel(std::function<void()> fn);

  // Sends a message related to this request on its channel (progress, logs,
  // server-to-client requests). Dropped once the request is done.
  void SendRelated(std::string message);
  // Ends the connection carrying the request's stream; the request goes on.
  void DisconnectStream() {
    if (!done() && channel_) channel_->Disconnect();
  }
  // Sends the final result or error. Only the first completion counts.
  bool CompleteWithResult(const json::value& result, std::string_view extra_members = {});
  // The same with the result already serialized.
  bool CompleteWithResultText(std::string_view result, std::string_view extra_members = {});
  bool CompleteWithError(int code, std::string_view message, const json::value& data = nullptr);

  // Multi-round input of a stateless request (Context::Ask): the answers
  // known (carried in requestState, plus this round's inputResponses), the
  // questions asked this round and still unanswered, and the round number.
  // Used only by the thread running the handler.
  json::object& input_answers() { return input_answers_; }
  json::object& input_asked() { return input_asked_; }
  std::int64_t input_round() const { return input_round_; }
  void set_input_round(std::int64_t round) { input_round_ = round; }
  // What a sealed requestState is bound to: the request's name (tool,
  // prompt or resource URI) and its arguments, which the running handler's
  // task owns (set while it runs; the digest is computed only when a state
  // is opened or issued).
  std::string& input_name() { return input_name_; }
  const json::object* input_arguments() const { return input_arguments_; }
  void set_input_arguments(const json::object* arguments) { input_arguments_ = arguments; }

  // The bytes the request is charged while it lives (released with it).
  void set_charge(ByteLease charge) { charge_ = std::move(charge); }

  // Called by the engine exactly once when the request leaves the session.
  void set_on_done(std::function<void()> fn) { on_done_ = std::move(fn); }

 private:
  friend class InflightRequests;

  bool Finish(std::string response);
  // Charges what it is sent to its session's byte rate (a stateless
  // request's: its principal's, when it has one).
  void ChargeBytesOut(std::size_t bytes);
  // Leaves the in-flight registry, then on_done_.
  void Done();

  Engine* const engine_;
  const SessionPtr session_;
  const json::value id_;
  const std::string id_key_;
  const std::string method_;
  const json::object meta_;
  const bool stateless_;
  const std::string version_;  // a stateless request's, from meta_
  const json::value progress_token_;
  const std::shared_ptr<Channel> channel_;
  std::map<std::string, std::string> template_vars_;
  std::function<void()> on_done_;
  ByteLease charge_;
  json::object input_answers_;
  json::object input_asked_;
  std::int64_t input_round_ = 0;
  std::string input_name_;
  std::string peer_;
  PrincipalPtr principal_;
  const json::object* input_arguments_ = nullptr;

  const std::int64_t started_us_;
  std::atomic<bool> overdue_{false};
  std::atomic<bool> long_lived_{false};
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> done_{false};
  Mutex mu_;
  std::vector<std::function<void()>> on_cancel_ ABSL_GUARDED_BY(mu_);
  // Set by InflightRequests::Add before other threads see the request;
  // cleared by Done(), so that only a request destroyed unfinished unlinks
  // itself in its destructor (one lock per request, not two).
  InflightRequests* inflight_ = nullptr;
};

}  // namespace mcpx::engine
