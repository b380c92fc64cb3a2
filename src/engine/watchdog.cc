#include <algorithm>

#include "engine/engine.h"
#include "mcpx/error.h"
#include "observe/log.h"

namespace mcpx::engine {

std::size_t Engine::CheckOverdue() {
  return CheckOverdue(std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count());
}

std::size_t Engine::CheckOverdue(std::int64_t now_us) {
  const auto deadline_us = std::chrono::duration_cast<std::chrono::microseconds>(options_.watchdog_deadline).count();
  if (deadline_us <= 0) return 0;
  std::size_t found = 0;
  // Only requests that crossed the deadline since the last tick: the
  // registry hands each out once, oldest first.
  inflight_.TakeStartedBefore(now_us - deadline_us, [&](const std::shared_ptr<RequestState>& r) {
    if (r->done() || r->long_lived() || !r->MarkOverdue()) return;
    ++found;
    metrics_.requests_overdue.Add();
    observe::Log().warn("request {} {} of {} running for {} ms (watchdog deadline {} ms){}", r->id_key(), r->method(),
                        r->session() ? "session " + r->session()->id() : std::string("a stateless client"),
                        (now_us - r->started_us()) / 1000, options_.watchdog_deadline.count(),
                        options_.watchdog_cancels ? ": cancelled" : "");
    if (options_.watchdog_cancels) TimeOut(r);
  });
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
    metrics_.request_latency.Observe(r->ElapsedUs());
  }
  r->Cancel(/*drop_response=*/false);
}

}  // namespace mcpx::engine
