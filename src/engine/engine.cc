#include "engine/engine.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <utility>

#include <boost/asio/post.hpp>

#include "mcpx/error.h"
#include "observe/log.h"
#include "protocol/meta.h"

namespace mcpx::engine {
namespace {

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

std::int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Engine::Engine(Server& server, ServerOptions options)
    : server_(server),
      options_(std::move(options)),
      now_ms_(SteadyNowMs),
      wall_ms_(SystemNowMs),
      sealer_(options_.request_state_keys,
              options_.request_state_audience.empty() ? options_.name : options_.request_state_audience),
      session_rate_(options_.session_rate, options_.session_burst),
      session_byte_rate_(options_.session_bytes_rate, options_.session_bytes_burst),
      principal_rates_(options_.max_rate_principals),
      buffer_budget_(options_.max_buffered_bytes),
      sessions_(options_.max_sessions),
      expiry_(SweepInterval(options_), std::max(options_.session_idle_timeout, options_.init_timeout)),
      hub_(metrics_, options_.notify_filter),
      bus_(std::make_unique<LocalBus>(hub_, [this](std::function<void()> deliver) { Post(std::move(deliver)); })),
      ios_(IoContexts(options_.io_threads)),
      sweep_timer_(io()),
      watchdog_timer_(io()) {
  EnableDeadlockDetection();
  if (options_.on_security_event) {
    security_.set_hook([hook = options_.on_security_event](const guard::SecurityEvent& e) {
      hook({guard::Name(e.kind), e.address, e.principal, e.session_id, e.detail});
    });
  }
  server_info_member_ = "\"_meta\":" + json::serialize(json::object{{protocol::meta::kServerInfo, ServerInfo()}});
  complete_members_ = "\"resultType\":\"complete\"," + server_info_member_;
  list_members_ = "\"ttlMs\":" + std::to_string(options_.cache_ttl.count()) + ",\"cacheScope\":\"" +
                  (options_.cache_public ? "public" : "private") + "\"," +
                  (options_.result_server_info ? complete_members_ : std::string("\"resultType\":\"complete\""));
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
  if (sealer_.generated()) {
    observe::Log().warn(
        "requestState: no keys configured (ServerOptions::request_state_keys), so this process made its own; "
        "2026-07-28 multi-round requests will not survive a restart or move to another node");
  }
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
  sessions_.ForEach([this](const SessionPtr& s) {
    CloseSession(s);
    return true;
  });
  io_work_.clear();
  pool_work_.reset();
  for (auto& io : ios_) io->stop();
  pool_.stop();
  stopped_.count_down();
}

void Engine::Drain(std::chrono::milliseconds drain) {
  if (!started_.load() || stopping() || draining_.exchange(true)) return;
  // Listen streams never end by themselves: they end now, gracefully (their
  // completion result), before the wait for the requests that do.
  EndListens();
  observe::Log().info("shutting down: draining {} request(s) for up to {} ms",
                      metrics_.requests_inflight.value(), drain.count());
  // Clients reconnect their standalone streams elsewhere (or find us gone).
  sessions_.ForEach([](const SessionPtr& s) {
    if (Channel* standalone = s->standalone()) standalone->Disconnect();
    return true;
  });
  // The drain waits in real time (it is the process's last act, not a test's
  // clock): polled, since requests end on many threads.
  const auto deadline = std::chrono::steady_clock::now() + drain;
  while (metrics_.requests_inflight.value() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::size_t answered = 0;
  inflight_.ForEach([&](const std::shared_ptr<RequestState>& r) {
    if (r->CompleteWithError(ErrorCode::kServerOverloaded, "Server shutting down")) {
      ++answered;
      metrics_.CountRequest(observe::MethodIdOf(r->method()), observe::Outcome::kError);
    }
    r->Cancel(/*drop_response=*/false);
  });
  // Let every I/O thread run what was posted so far (the last answers are
  // handed to the sockets) before Stop() ends them. A few rounds: writing an
  // answer can post a further step (a stream's final chunk).
  for (int round = 0; round < 3; ++round) {
    std::vector<std::future<void>> flushed;
    for (auto& io : ios_) {
      auto done = std::make_shared<std::promise<void>>();
      flushed.push_back(done->get_future());
      boost::asio::post(*io, [done] { done->set_value(); });
    }
    for (auto& f : flushed) f.wait_for(std::chrono::seconds(1));
  }
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

void Engine::RecordSecurity(guard::SecurityEventKind kind, std::string_view address, std::string_view principal,
                            std::string_view session, std::string_view detail) {
  security_.Record({.kind = kind,
                    .time_us = NowMs() * 1000,
                    .address = address,
                    .principal = principal,
                    .session_id = session,
                    .detail = detail});
}

std::string Engine::MetricsText() const {
  std::string text = observe::RenderPrometheus(metrics_, {.sessions_active = sessions_.size(),
                                                         .directory_contended = sessions_.contended(),
                                                         .buffered_bytes = buffer_budget_.used(),
                                                         .buffer_budget = buffer_budget_.limit()});
  // The tools' circuit breakers (the catalog's own tools: a bounded set).
  auto snapshot = catalog_.Get();
  const std::int64_t now_us = NowMs() * 1000;
  std::string state, opened;
  for (const auto& [name, tool] : snapshot->tools) {
    if (!tool->breaker) continue;
    const std::string label = "{tool=\"" + observe::EscapeLabel(name) + "\"} ";
    state += "mcpx_tool_breaker_state" + label + std::to_string(static_cast<int>(tool->breaker->state(now_us))) + "\n";
    opened += "mcpx_tool_breaker_opened_total" + label + std::to_string(tool->breaker->opened()) + "\n";
  }
  text += "# HELP mcpx_security_events_total Security events (guards' refusals and findings), by kind.\n"
          "# TYPE mcpx_security_events_total counter\n";
  for (std::size_t i = 0; i < guard::kSecurityEventKinds; ++i) {
    const auto kind = static_cast<guard::SecurityEventKind>(i);
    text += "mcpx_security_events_total{kind=\"" + std::string(guard::Name(kind)) + "\"} " +
            std::to_string(security_.Count(kind)) + "\n";
  }
  if (!state.empty()) {
    text += "# HELP mcpx_tool_breaker_state A tool's circuit breaker: 0 closed, 1 open, 2 half-open.\n"
            "# TYPE mcpx_tool_breaker_state gauge\n" + state +
            "# HELP mcpx_tool_breaker_opened_total Times a tool's circuit breaker opened.\n"
            "# TYPE mcpx_tool_breaker_opened_total counter\n" + opened;
  }
  return text;
}

}  // namespace mcpx::engine
