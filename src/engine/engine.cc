#include "engine/engine.h"

#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <future>
#include <unordered_map>
#include <utility>

#include <boost/asio/post.hpp>

#include "engine/arguments.h"
#include "mcpx/error.h"
#include "observe/log.h"
#include "protocol/json_walk.h"

namespace mcpx::engine {
namespace {

constexpr std::string_view kSupportedVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};

std::int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One single-threaded context per I/O thread; `threads` 0 means one.
std::vector<std::unique_ptr<boost::asio::io_context>> IoContexts(std::size_t threads) {
  std::vector<std::unique_ptr<boost::asio::io_context>> ios;
  for (std::size_t i = 0; i < std::max<std::size_t>(1, threads); ++i) {
    ios.push_back(std::make_unique<boost::asio::io_context>(1));
  }
  return ios;
}

// 128 bits from the kernel CSPRNG, as 32 lowercase hex digits.
std::string NewSessionId() {
  unsigned char bytes[16];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (std::size_t i = 0; i < sizeof bytes; ++i) {
    id[2 * i] = kHex[bytes[i] >> 4];
    id[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return id;
}

std::string RequireString(const json::object& params, std::string_view key) {
  const auto* v = params.if_contains(key);
  if (!v || !v->is_string()) {
    throw Error(ErrorCode::kInvalidParams, "Invalid params: '" + std::string(key) + "' must be a string");
  }
  return std::string(v->get_string());
}

// The object at `key` (const or not, as `params`); null when absent or null.
// Throws -32602 when it is something else.
template <typename Object>
Object* FindObject(Object& params, std::string_view key) {
  auto* v = params.if_contains(key);
  if (!v || v->is_null()) return nullptr;
  if (!v->is_object()) {
    throw Error(ErrorCode::kInvalidParams, "Invalid params: '" + std::string(key) + "' must be an object");
  }
  return &v->get_object();
}

json::object OptionalObject(const json::object& params, std::string_view key) {
  const json::object* o = FindObject(params, key);
  return o ? *o : json::object();
}

// OptionalObject for params the caller owns: moves the object out, no copy.
json::object TakeOptionalObject(json::object& params, std::string_view key) {
  json::object* o = FindObject(params, key);
  return o ? std::move(*o) : json::object();
}

// Cursors are the decimal offset of the next item; clients treat them as opaque.
std::size_t ParseCursor(const json::object& params) {
  const auto* v = params.if_contains("cursor");
  if (!v || v->is_null()) return 0;
  std::size_t offset = 0;
  if (v->is_string()) {
    const auto s = v->get_string();
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), offset);
    if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) return offset;
  }
  throw Error(ErrorCode::kInvalidParams, "Invalid params: unknown cursor");
}

template <typename Map, typename ToJson>
json::object Page(const Map& items, std::size_t offset, std::size_t page_size,
                  std::string_view key, ToJson to_json) {
  json::array out;
  auto it = items.begin();
  std::advance(it, std::min(offset, items.size()));
  std::size_t taken = 0;
  for (; it != items.end() && taken < page_size; ++it, ++taken) out.push_back(to_json(*it));
  json::object result;
  result[key] = std::move(out);
  if (it != items.end()) result["nextCursor"] = std::to_string(offset + taken);
  return result;
}

std::uint64_t MicrosSince(std::int64_t started_us) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  return now > started_us ? static_cast<std::uint64_t>(now - started_us) : 0;
}

// Runs `io` until it is stopped. An exception that escapes a handler (none
// should: untrusted input takes error codes, user handlers are wrapped) is
// logged and the loop goes on, so that no single connection or handler can
// end the process; the handler that threw is gone, the thread is not.
void RunContext(boost::asio::io_context& io, const char* what) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      observe::Log().error("{} thread: exception escaped a handler: {}", what, e.what());
    } catch (...) {
      observe::Log().error("{} thread: non-standard exception escaped a handler", what);
    }
  }
}

}  // namespace

bool IsSupportedProtocolVersion(std::string_view version) {
  return std::find(std::begin(kSupportedVersions), std::end(kSupportedVersions), version) !=
         std::end(kSupportedVersions);
}

Engine::Engine(Server& server, ServerOptions options)
    : server_(server),
      options_(std::move(options)),
      now_ms_(SteadyNowMs),
      buffer_budget_(options_.max_buffered_bytes),
      sessions_(options_.max_sessions),
      ios_(IoContexts(options_.io_threads)),
      sweep_timer_(io()),
      watchdog_timer_(io()) {
  EnableDeadlockDetection();
}

boost::asio::io_context& Engine::NextIo() {
  return *ios_[next_io_.fetch_add(1, std::memory_order_relaxed) % ios_.size()];
}

Engine::~Engine() {
  Stop();
  Wait();
}

void Engine::Start() {
  if (started_.exchange(true)) return;
  std::size_t workers = options_.worker_threads;
  if (workers == 0) workers = std::max(2u, std::thread::hardware_concurrency());
  workers_per_session_ = options_.max_workers_per_session != 0
                             ? options_.max_workers_per_session
                             : std::max<std::size_t>(1, workers / 4);
  pool_work_ = std::make_unique<WorkGuard>(pool_.get_executor());
  for (auto& io : ios_) {
    io_work_.push_back(boost::asio::make_work_guard(*io));
    io_threads_.emplace_back([&io = *io] { RunContext(io, "I/O"); });
  }
  for (std::size_t i = 0; i < workers; ++i) {
    worker_threads_.emplace_back([this] {
      // Workers yield the CPU to the I/O threads when cores are contended, so
      // that CPU-heavy handlers do not delay other sessions' network I/O.
      // (On Linux, PRIO_PROCESS with a thread id applies to that thread.)
      using Priority = ServerOptions::WorkerPriority;
      if (options_.worker_priority == Priority::kIdle) {
        const sched_param param{};
        pthread_setschedparam(pthread_self(), SCHED_IDLE, &param);
      } else if (options_.worker_priority == Priority::kNice && options_.worker_nice > 0) {
        setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), options_.worker_nice);
      }
      RunContext(pool_, "worker");
    });
  }
  boost::asio::post(io(), [this] {
    ScheduleSweep();
    ScheduleWatchdog();
  });
}

void Engine::Stop() {
  if (stopping_.exchange(true)) return;
  for (const SessionPtr& s : sessions_.RemoveIf([](const Session&) { return true; })) Finalize(s);
  io_work_.clear();
  pool_work_.reset();
  for (auto& io : ios_) io->stop();
  pool_.stop();
  stopped_.count_down();
}

void Engine::Drain(std::chrono::milliseconds drain) {
  if (!started_.load() || stopping() || draining_.exchange(true)) return;
  observe::Log().info("shutting down: draining {} request(s) for up to {} ms",
                      metrics_.requests_inflight.value(), drain.count());
  // Clients reconnect their standalone streams elsewhere (or find us gone).
  for (const SessionPtr& s : sessions_.Snapshot()) {
    if (Channel* standalone = s->standalone()) standalone->Disconnect();
  }
  // The drain waits in real time (it is the process's last act, not a test's
  // clock): polled, since requests end on many threads.
  const auto deadline = std::chrono::steady_clock::now() + drain;
  while (metrics_.requests_inflight.value() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::size_t answered = 0;
  for (const SessionPtr& s : sessions_.Snapshot()) {
    for (const auto& r : s->SnapshotRequests()) {
      if (r->CompleteWithError(ErrorCode::kServerOverloaded, "Server shutting down")) {
        ++answered;
        metrics_.CountRequest(observe::MethodIdOf(r->method()), observe::Outcome::kError);
      }
      r->Cancel(/*drop_response=*/false);
    }
  }
  // Let every I/O thread run what was posted so far (the last answers are
  // handed to the sockets) before Stop() ends them.
  std::vector<std::future<void>> flushed;
  for (auto& io : ios_) {
    auto done = std::make_shared<std::promise<void>>();
    flushed.push_back(done->get_future());
    boost::asio::post(*io, [done] { done->set_value(); });
  }
  for (auto& f : flushed) f.wait_for(std::chrono::seconds(1));
  observe::Log().info("drained; {} request(s) answered as cancelled by the shutdown", answered);
}

void Engine::Wait() {
  stopped_.wait();
  if (joined_.exchange(true)) return;
  for (auto* threads : {&io_threads_, &worker_threads_}) {
    for (auto& t : *threads) {
      if (t.joinable()) t.join();
    }
  }
}

// --- Sessions ----------------------------------------------------------------

SessionPtr Engine::NewSession(const json::object& params) {
  const std::string requested = RequireString(params, "protocolVersion");
  ClientInit init;
  // Version negotiation: echo a supported version, else offer our latest.
  init.protocol_version =
      IsSupportedProtocolVersion(requested) ? requested : std::string(kLatestProtocolVersion);
  init.capabilities = OptionalObject(params, "capabilities");
  init.client_info = OptionalObject(params, "clientInfo");
  return std::make_shared<Session>(NewSessionId(), std::move(init), NowMs());
}

bool Engine::Publish(const SessionPtr& session) {
  if (stopping() || draining()) return false;
  if (sessions_.Insert(session) != SessionDirectory::InsertResult::kInserted) {
    metrics_.sessions_rejected.Add();
    observe::Log().warn("session refused: {} sessions, the cap", sessions_.capacity());
    return false;
  }
  metrics_.sessions_created.Add();
  metrics_.CountRequest(observe::MethodId::kInitialize, observe::Outcome::kOk);
  return true;
}

json::object Engine::InitializeResult(const Session& session) const {
  json::object server_info{{"name", options_.name}, {"version", options_.version}};
  if (!options_.title.empty()) server_info["title"] = options_.title;
  json::object result{
      {"protocolVersion", session.init().protocol_version},
      {"capabilities",
       {{"tools", {{"listChanged", true}}},
        {"resources", {{"subscribe", true}, {"listChanged", true}}},
        {"prompts", {{"listChanged", true}}},
        {"logging", json::object()},
        {"completions", json::object()}}},
      {"serverInfo", std::move(server_info)}};
  if (!options_.instructions.empty()) result["instructions"] = options_.instructions;
  return result;
}

SessionPtr Engine::FindSession(std::string_view id) {
  SessionPtr s = sessions_.Find(id);
  if (s && s->state() != SessionState::kClosed) {
    s->Touch(NowMs());
    return s;
  }
  return nullptr;
}

void Engine::CloseSession(const SessionPtr& session) {
  sessions_.Remove(session->id());
  Finalize(session);
}

void Engine::Finalize(const SessionPtr& session) {
  if (!session->MarkClosed()) return;
  metrics_.sessions_closed.Add();
  for (auto& request : session->TakeAllRequests()) request->Cancel(/*drop_response=*/true);
  for (auto& callback : session->TakeAllPendingClientRequests()) {
    callback(ClientResponse{false, nullptr, ErrorCode::kInternalError, "session closed"});
  }
  if (SessionTransport* t = session->transport()) t->Close();
}

std::size_t Engine::SweepExpired() {
  const std::int64_t now = NowMs();
  const std::int64_t idle = options_.session_idle_timeout.count();
  const std::int64_t init = options_.init_timeout.count();
  std::vector<SessionPtr> expired = sessions_.RemoveIf([&](const Session& s) {
    if (!s.expires()) return false;
    if (s.state() == SessionState::kInitializing) return now - s.created_ms() >= init;
    return now - s.last_active_ms() >= idle;
  });
  for (const SessionPtr& s : expired) {
    metrics_.sessions_expired.Add();
    Finalize(s);
  }
  const std::size_t count = expired.size();
  expired.clear();  // the last references: the sessions are freed here
  if (count > 0) observe::Log().debug("expired {} session(s); {} remain", count, sessions_.size());
#if defined(__GLIBC__)
  // After a mass expiry, hand the freed heap back to the system; glibc keeps
  // it otherwise and RSS would stay at its peak.
  if (count >= 1024) Post([] { malloc_trim(0); });
#endif
  return count;
}

void Engine::ScheduleSweep() {
  if (stopping()) return;
  auto interval = std::min(options_.session_idle_timeout, options_.init_timeout) / 4;
  interval = std::clamp<std::chrono::milliseconds>(interval, std::chrono::milliseconds(20),
                                                   std::chrono::seconds(5));
  sweep_timer_.expires_after(interval);
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping()) return;
    SweepExpired();
    ScheduleSweep();
  });
}

std::size_t Engine::CheckOverdue() {
  const auto deadline_us = std::chrono::duration_cast<std::chrono::microseconds>(options_.watchdog_deadline).count();
  if (deadline_us <= 0 || metrics_.requests_inflight.value() <= 0) return 0;
  const std::int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                  .count();
  std::size_t found = 0;
  for (const SessionPtr& s : sessions_.Snapshot()) {
    if (s->inflight() == 0) continue;
    for (const auto& r : s->SnapshotRequests()) {
      if (r->done() || now_us - r->started_us() < deadline_us || !r->MarkOverdue()) continue;
      ++found;
      metrics_.requests_overdue.Add();
      observe::Log().warn("request {} {} of session {} running for {} ms (watchdog deadline {} ms){}",
                          r->id_key(), r->method(), s->id(), (now_us - r->started_us()) / 1000,
                          options_.watchdog_deadline.count(), options_.watchdog_cancels ? ": cancelled" : "");
      if (options_.watchdog_cancels) TimeOut(r);
    }
  }
  return found;
}

void Engine::ScheduleWatchdog() {
  if (stopping() || options_.watchdog_deadline.count() <= 0) return;
  auto interval = std::clamp<std::chrono::milliseconds>(options_.watchdog_deadline / 4, std::chrono::milliseconds(10),
                                                        std::chrono::seconds(1));
  watchdog_timer_.expires_after(interval);
  watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping()) return;
    CheckOverdue();
    ScheduleWatchdog();
  });
}

void Engine::TimeOut(const std::shared_ptr<RequestState>& r) {
  // Answer first, then cancel: a handler that sees the cancellation and
  // returns at once must not win the race and replace the timeout error.
  if (r->CompleteWithError(ErrorCode::kRequestTimeout, "Request timed out")) {
    metrics_.requests_timed_out.Add();
    metrics_.CountRequest(observe::MethodIdOf(r->method()), observe::Outcome::kError);
    metrics_.request_latency.Observe(MicrosSince(r->started_us()));
  }
  r->Cancel(/*drop_response=*/false);
}

// --- Scheduling ----------------------------------------------------------------

void Engine::Post(std::function<void()> fn) {
  metrics_.pool_queue_depth.Add(1);
  boost::asio::post(pool_, [this, fn = std::move(fn)] {
    metrics_.pool_queue_depth.Add(-1);
    metrics_.workers_busy.Add(1);
    fn();
    metrics_.workers_busy.Add(-1);
  });
}

void Engine::PostForSession(const SessionPtr& session, std::function<void()> task) {
  const std::size_t share = session->worker_share() != 0 ? session->worker_share() : workers_per_session_;
  if (auto admitted = session->AdmitPoolTask(std::move(task), share)) {
    RunAdmitted(session, std::move(admitted));
  }
}

void Engine::RunAdmitted(const SessionPtr& session, std::function<void()> task) {
  // When done, the task hands its slot to the session's next queued task,
  // re-posted so that other sessions' work interleaves.
  Post([this, session, task = std::move(task)] {
    task();
    if (auto next = session->NextPoolTask()) RunAdmitted(session, std::move(next));
  });
}

void Engine::After(std::chrono::milliseconds delay, std::function<void()> fn) {
  AfterOnIo(delay, [this, fn = std::move(fn)]() mutable { Post(std::move(fn)); });
}

void Engine::AfterOnIo(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<boost::asio::steady_timer>(io(), delay);
  timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec) fn();
  });
}

// --- Messages ------------------------------------------------------------------

void Engine::HandleMessage(const SessionPtr& session, protocol::Message message,
                           std::shared_ptr<Channel> channel) {
  switch (message.kind) {
    case protocol::MessageKind::kRequest:
      HandleRequest(session, message, std::move(channel));
      return;
    case protocol::MessageKind::kNotification:
      HandleNotification(session, message);
      return;
    case protocol::MessageKind::kResponse:
    case protocol::MessageKind::kErrorResponse:
      HandleClientResponse(session, message);
      return;
  }
}

void Engine::HandleNotification(const SessionPtr& session, const protocol::Message& message) {
  if (!session) return;
  if (message.method == "notifications/initialized") {
    session->MarkReady();
  } else if (message.method == "notifications/cancelled") {
    const auto* id = message.params.if_contains("requestId");
    if (!id) return;
    if (auto request = session->FindRequest(protocol::IdKey(*id))) {
      // The client no longer wants the answer: no response is sent.
      if (!request->done()) {
        metrics_.CountRequest(observe::MethodIdOf(request->method()), observe::Outcome::kCancelled);
      }
      request->Cancel(/*drop_response=*/true);
    }
  }
  // Other notifications (roots/list_changed, progress) need no action here.
}

void Engine::HandleClientResponse(const SessionPtr& session, const protocol::Message& message) {
  if (!session || !message.id.is_int64()) return;
  Session::ClientCallback callback = session->TakePendingClientRequest(message.id.get_int64());
  if (!callback) return;  // late or unknown answer: dropped
  ClientResponse response;
  if (message.kind == protocol::MessageKind::kResponse) {
    response.ok = true;
    response.result = message.result;
  } else {
    if (const auto* code = message.error.if_contains("code"); code && code->is_int64()) {
      response.error_code = static_cast<int>(code->get_int64());
    }
    if (const auto* msg = message.error.if_contains("message"); msg && msg->is_string()) {
      response.error_message = std::string(msg->get_string());
    }
  }
  callback(std::move(response));
}

void Engine::RequestClient(const SessionPtr& session, Channel* via, std::string method,
                           json::object params, std::function<void(ClientResponse)> done,
                           std::chrono::milliseconds timeout, bool complete_inline) {
  // Whoever takes the callback out of the pending table runs it: the answer,
  // the timeout, or the session's end. So it runs exactly once.
  Session::ClientCallback callback;
  if (complete_inline) {
    callback = std::move(done);
  } else {
    callback = [this, done = std::move(done)](ClientResponse r) mutable {
      Post([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
    };
  }
  if (!session || session->state() == SessionState::kClosed) {
    callback(ClientResponse{false, nullptr, ErrorCode::kInternalError, "no session"});
    return;
  }
  const std::int64_t id = session->NextClientRequestId();
  session->AddPendingClientRequest(id, std::move(callback));
  if (timeout.count() <= 0) timeout = options_.client_request_timeout;
  std::weak_ptr<Session> weak = session;
  AfterOnIo(timeout, [weak, id] {
    if (auto s = weak.lock()) {
      if (auto cb = s->TakePendingClientRequest(id)) {
        cb(ClientResponse{false, nullptr, ErrorCode::kRequestTimeout, "client did not answer in time"});
      }
    }
  });
  std::string message = protocol::SerializeRequest(id, method, params);
  Channel* channel = via ? via : session->standalone();
  if (channel) channel->Send(std::move(message), false);
}

bool Engine::NotifySession(const SessionPtr& session, std::string_view method,
                           const json::object& params) {
  if (!session || session->state() == SessionState::kClosed) return false;
  if (Channel* channel = session->standalone()) {
    channel->Send(protocol::SerializeNotification(method, params), false);
  }
  return true;
}

void Engine::NotifyAll(std::string_view method, const json::object& params) {
  const std::string message = protocol::SerializeNotification(method, params);
  for (const SessionPtr& s : sessions_.Snapshot()) {
    if (s->state() != SessionState::kReady) continue;
    if (Channel* channel = s->standalone()) channel->Send(message, false);
  }
}

void Engine::NotifyResourceUpdated(std::string_view uri) {
  const std::string key(uri);
  const std::string message =
      protocol::SerializeNotification("notifications/resources/updated", {{"uri", uri}});
  for (const SessionPtr& s : sessions_.Snapshot()) {
    if (!s->IsSubscribed(key)) continue;
    if (Channel* channel = s->standalone()) channel->Send(message, false);
  }
}

void Engine::Reply(const std::shared_ptr<RequestState>& r, const json::value& result) {
  if (r->CompleteWithResult(result)) {
    metrics_.CountRequest(observe::MethodIdOf(r->method()), observe::Outcome::kOk);
    metrics_.request_latency.Observe(MicrosSince(r->started_us()));
  }
}

void Engine::Fail(const std::shared_ptr<RequestState>& r, int code, std::string_view message,
                  const json::value& data) {
  if (r->CompleteWithError(code, message, data)) {
    metrics_.CountRequest(observe::MethodIdOf(r->method()), observe::Outcome::kError);
    metrics_.request_latency.Observe(MicrosSince(r->started_us()));
  }
}

void Engine::HandleRequest(const SessionPtr& session, protocol::Message& message,
                           std::shared_ptr<Channel> channel) {
  const auto& table = Methods();
  auto entry = table.find(message.method);
  if (draining()) {
    return Refuse(message, *channel, entry == table.end() ? observe::MethodId::kOther : entry->second.id,
                  ErrorCode::kServerOverloaded, "Server shutting down");
  }
  if (entry == table.end()) {
    metrics_.CountRequest(observe::MethodId::kOther, observe::Outcome::kError);
    const std::string text = message.method == "initialize"
                                 ? "Invalid Request: session already initialized"
                                 : "Method not found: " + message.method;
    const int code = message.method == "initialize" ? ErrorCode::kInvalidRequest
                                                    : ErrorCode::kMethodNotFound;
    channel->Send(protocol::SerializeError(message.id, code, text), true);
    return;
  }
  // What the request makes the server keep is bounded: its _meta (moved
  // out of params, not copied), its progress token, and its bytes in the
  // process-wide budget for as long as it runs.
  json::object meta;
  if (auto* m = message.params.if_contains("_meta"); m && m->is_object()) {
    if (protocol::ApproxBytes(*m, options_.max_meta_bytes) > options_.max_meta_bytes) {
      metrics_.limit_refusals.Add();
      return Refuse(message, *channel, entry->second.id, ErrorCode::kInvalidParams,
                    "Invalid params: _meta exceeds " + std::to_string(options_.max_meta_bytes) + " bytes");
    }
    meta = std::move(m->get_object());
    if (const auto* token = meta.if_contains("progressToken");
        token && token->is_string() && token->get_string().size() > options_.max_progress_token_bytes) {
      metrics_.limit_refusals.Add();
      return Refuse(message, *channel, entry->second.id, ErrorCode::kInvalidParams,
                    "Invalid params: progressToken exceeds " +
                        std::to_string(options_.max_progress_token_bytes) + " bytes");
    }
  }
  ByteLease charge(&buffer_budget_);
  if (!charge.Resize(message.wire_bytes * protocol::kTreeBytesPerTextByte)) {
    metrics_.overload_refusals.Add();
    return Refuse(message, *channel, entry->second.id, ErrorCode::kServerOverloaded,
                  "Server overloaded: memory budget spent; retry later");
  }
  auto request = std::make_shared<RequestState>(this, session, message.id, message.method,
                                                std::move(meta), channel);
  request->set_charge(std::move(charge));
  if (session) {
    if (!session->RegisterRequest(request->id_key(), request, options_.max_inflight_per_session)) {
      metrics_.CountRequest(entry->second.id, observe::Outcome::kError);
      const bool duplicate = session->FindRequest(request->id_key()) != nullptr;
      channel->Send(protocol::SerializeError(
                        message.id, duplicate ? ErrorCode::kInvalidRequest : ErrorCode::kServerOverloaded,
                        duplicate ? "Invalid Request: id already in use"
                                  : "Too many requests in flight for this session"),
                    true);
      return;
    }
    std::weak_ptr<Session> weak = session;
    RequestState* raw = request.get();
    request->set_on_done([this, weak, raw] {
      metrics_.requests_inflight.Add(-1);
      if (auto s = weak.lock()) s->UnregisterRequest(raw->id_key(), raw);
    });
  } else {
    request->set_on_done([this] { metrics_.requests_inflight.Add(-1); });
  }
  metrics_.requests_inflight.Add(1);
  try {
    (this->*entry->second.fn)(request, message.params);
  } catch (const Error& e) {
    Fail(request, e.code(), e.message(), e.data());
  } catch (const std::exception& e) {
    Fail(request, ErrorCode::kInternalError, std::string("Internal error: ") + e.what());
  }
}

void Engine::Refuse(const protocol::Message& message, Channel& channel, observe::MethodId method, int code,
                    std::string_view text) {
  metrics_.CountRequest(method, observe::Outcome::kError);
  channel.Send(protocol::SerializeError(message.id, code, text), true);
}

void Engine::Run(const std::shared_ptr<RequestState>& request, Execution where,
                 std::function<void(const std::shared_ptr<RequestState>&)> fn) {
  auto task = [this, request, fn = std::move(fn)] {
    if (request->done()) return;  // cancelled while queued
    try {
      fn(request);
    } catch (const Error& e) {
      Fail(request, e.code(), e.message(), e.data());
    } catch (const std::exception& e) {
      observe::Log().warn("{} handler threw: {}", request->method(), e.what());
      Fail(request, ErrorCode::kInternalError, std::string("Internal error: ") + e.what());
    } catch (...) {
      observe::Log().warn("{} handler threw a non-standard exception", request->method());
      Fail(request, ErrorCode::kInternalError, "Internal error");
    }
  };
  if (where == Execution::kInline) {
    task();
  } else if (request->session()) {
    PostForSession(request->session(), std::move(task));
  } else {
    Post(std::move(task));
  }
}

// --- Methods -------------------------------------------------------------------

void Engine::Ping(const std::shared_ptr<RequestState>& r, json::object&) { Reply(r, json::object()); }

void Engine::SetLogLevel(const std::shared_ptr<RequestState>& r, json::object& params) {
  auto level = ParseLogLevel(RequireString(params, "level"));
  if (!level) throw Error(ErrorCode::kInvalidParams, "Invalid params: unknown log level");
  if (r->session()) r->session()->set_log_level(*level);
  Reply(r, json::object());
}

void Engine::ListTools(const std::shared_ptr<RequestState>& r, json::object& params) {
  auto snapshot = catalog_.Get();
  Reply(r, Page(snapshot->tools, ParseCursor(params), options_.page_size, "tools",
                [](const auto& kv) { return kv.second->ToJson(); }));
}

void Engine::CallTool(const std::shared_ptr<RequestState>& r, json::object& params) {
  const std::string name = RequireString(params, "name");
  auto snapshot = catalog_.Get();
  auto it = snapshot->tools.find(name);
  if (it == snapshot->tools.end()) {
    throw Error(ErrorCode::kInvalidParams, "Unknown tool: " + name);
  }
  std::shared_ptr<const Tool> tool = it->second;
  json::object arguments = TakeOptionalObject(params, "arguments");
  ValidateArguments(tool->input_schema, arguments);

  const auto timeout = tool->timeout.count() > 0 ? tool->timeout : options_.tool_timeout;
  if (timeout.count() > 0) {
    std::weak_ptr<RequestState> weak = r;
    AfterOnIo(timeout, [this, weak] {
      if (auto req = weak.lock()) TimeOut(req);
    });
  }

  Run(r, tool->execution, [this, tool, arguments = std::move(arguments)](const auto& req) {
    Context ctx(req);
    if (tool->async_handler) {
      std::weak_ptr<RequestState> weak = req;
      tool->async_handler(
          ctx, arguments,
          mcpx::Reply<ToolResult>(
              [this, req](ToolResult result) { Reply(req, result.ToJson()); },
              [this, req](int code, std::string message) { Fail(req, code, message); }));
      return;
    }
    ToolResult result = tool->handler(ctx, arguments);
    Reply(req, result.ToJson());
  });
}

ToolResult Engine::CallToolInline(RequestState& parent, std::string_view name, json::object arguments) {
  auto snapshot = catalog_.Get();
  auto it = snapshot->tools.find(name);
  if (it == snapshot->tools.end()) {
    throw Error(ErrorCode::kInvalidParams, "Unknown tool: " + std::string(name));
  }
  std::shared_ptr<const Tool> tool = it->second;
  ValidateArguments(tool->input_schema, arguments);
  auto child = std::make_shared<RequestState>(this, parent.session(), parent.id(), "tools/call",
                                              json::object(), nullptr);
  parent.OnCancel([weak = std::weak_ptr<RequestState>(child)] {
    if (auto c = weak.lock()) c->Cancel(false);
  });
  Context ctx(child);
  if (!tool->async_handler) return tool->handler(ctx, arguments);
  auto promise = std::make_shared<std::promise<ToolResult>>();
  auto future = promise->get_future();
  tool->async_handler(ctx, arguments,
                      mcpx::Reply<ToolResult>(
                          [promise](ToolResult result) { promise->set_value(std::move(result)); },
                          [promise](int code, std::string message) {
                            promise->set_exception(std::make_exception_ptr(Error(code, message)));
                          }));
  return future.get();
}

void Engine::ListResources(const std::shared_ptr<RequestState>& r, json::object& params) {
  auto snapshot = catalog_.Get();
  Reply(r, Page(snapshot->resources, ParseCursor(params), options_.page_size, "resources",
                [](const auto& kv) { return kv.second->ToJson(); }));
}

void Engine::ListResourceTemplates(const std::shared_ptr<RequestState>& r, json::object& params) {
  auto snapshot = catalog_.Get();
  Reply(r, Page(snapshot->templates, ParseCursor(params), options_.page_size, "resourceTemplates",
                [](const auto& t) { return t->ToJson(); }));
}

void Engine::ReadResource(const std::shared_ptr<RequestState>& r, json::object& params) {
  const std::string uri = RequireString(params, "uri");
  auto snapshot = catalog_.Get();
  ResourceReader reader;
  if (auto it = snapshot->resources.find(uri); it != snapshot->resources.end()) {
    reader = it->second->read;
  } else {
    for (const auto& t : snapshot->templates) {
      if (MatchUriTemplate(t->uri_template, uri, r->template_vars())) {
        reader = t->read;
        break;
      }
    }
  }
  if (!reader) {
    throw Error(ErrorCode::kResourceNotFound, "Resource not found", json::object{{"uri", uri}});
  }
  Run(r, Execution::kPool, [this, reader, uri](const auto& req) {
    Context ctx(req);
    json::array contents;
    for (const auto& c : reader(ctx, uri)) contents.push_back(c.ToJson());
    Reply(req, json::object{{"contents", std::move(contents)}});
  });
}

void Engine::Subscribe(const std::shared_ptr<RequestState>& r, json::object& params) {
  const std::string uri = RequireString(params, "uri");
  if (r->session() && !r->session()->Subscribe(uri, options_.max_subscriptions_per_session)) {
    throw Error(ErrorCode::kInvalidParams, "Too many subscriptions for this session");
  }
  Reply(r, json::object());
}

void Engine::Unsubscribe(const std::shared_ptr<RequestState>& r, json::object& params) {
  const std::string uri = RequireString(params, "uri");
  if (r->session()) r->session()->Unsubscribe(uri);
  Reply(r, json::object());
}

void Engine::ListPrompts(const std::shared_ptr<RequestState>& r, json::object& params) {
  auto snapshot = catalog_.Get();
  Reply(r, Page(snapshot->prompts, ParseCursor(params), options_.page_size, "prompts",
                [](const auto& kv) { return kv.second->ToJson(); }));
}

void Engine::GetPrompt(const std::shared_ptr<RequestState>& r, json::object& params) {
  const std::string name = RequireString(params, "name");
  auto snapshot = catalog_.Get();
  auto it = snapshot->prompts.find(name);
  if (it == snapshot->prompts.end()) throw Error(ErrorCode::kInvalidParams, "Unknown prompt: " + name);
  std::shared_ptr<const Prompt> prompt = it->second;
  json::object arguments = TakeOptionalObject(params, "arguments");
  for (const auto& a : prompt->arguments) {
    const auto* v = arguments.if_contains(a.name);
    if (a.required && !v) {
      throw Error(ErrorCode::kInvalidParams, "Missing required argument: " + a.name);
    }
    if (v && !v->is_string()) {
      throw Error(ErrorCode::kInvalidParams, "Argument must be a string: " + a.name);
    }
  }
  Run(r, Execution::kPool, [this, prompt, arguments = std::move(arguments)](const auto& req) {
    Context ctx(req);
    Reply(req, prompt->handler(ctx, arguments).ToJson());
  });
}

void Engine::Complete(const std::shared_ptr<RequestState>& r, json::object& params) {
  CompletionRequest request;
  request.ref = OptionalObject(params, "ref");
  const json::object argument = OptionalObject(params, "argument");
  request.argument_name = RequireString(argument, "name");
  request.argument_value = RequireString(argument, "value");
  request.context_arguments = OptionalObject(OptionalObject(params, "context"), "arguments");
  auto snapshot = catalog_.Get();
  auto handler = snapshot->completion;
  Run(r, Execution::kPool, [this, handler, request = std::move(request)](const auto& req) {
    CompletionResult result;
    if (handler) {
      Context ctx(req);
      result = (*handler)(ctx, request);
    }
    json::array values;
    for (std::size_t i = 0; i < result.values.size() && i < 100; ++i) values.push_back(json::string(result.values[i]));
    json::object completion{{"values", std::move(values)},
                            {"hasMore", result.has_more || result.values.size() > 100}};
    if (result.total) completion["total"] = *result.total;
    Reply(req, json::object{{"completion", std::move(completion)}});
  });
}

std::string Engine::MetricsText() const {
  return observe::RenderPrometheus(metrics_, {.sessions_active = sessions_.size(),
                                             .directory_contended = sessions_.contended(),
                                             .buffered_bytes = buffer_budget_.used(),
                                             .buffer_budget = buffer_budget_.limit()});
}

const std::unordered_map<std::string_view, Engine::MethodEntry>& Engine::Methods() {
  using M = observe::MethodId;
  static const std::unordered_map<std::string_view, MethodEntry> table = {
      {"ping", {M::kPing, &Engine::Ping}},
      {"logging/setLevel", {M::kLoggingSetLevel, &Engine::SetLogLevel}},
      {"tools/list", {M::kToolsList, &Engine::ListTools}},
      {"tools/call", {M::kToolsCall, &Engine::CallTool}},
      {"resources/list", {M::kResourcesList, &Engine::ListResources}},
      {"resources/templates/list", {M::kResourcesTemplatesList, &Engine::ListResourceTemplates}},
      {"resources/read", {M::kResourcesRead, &Engine::ReadResource}},
      {"resources/subscribe", {M::kResourcesSubscribe, &Engine::Subscribe}},
      {"resources/unsubscribe", {M::kResourcesUnsubscribe, &Engine::Unsubscribe}},
      {"prompts/list", {M::kPromptsList, &Engine::ListPrompts}},
      {"prompts/get", {M::kPromptsGet, &Engine::GetPrompt}},
      {"completion/complete", {M::kCompletionComplete, &Engine::Complete}},
  };
  return table;
}

}  // namespace mcpx::engine
