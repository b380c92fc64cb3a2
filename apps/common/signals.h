// Signals for the executables: SIGINT/SIGTERM shut down, SIGHUP (when asked
// for) reloads. The signals are blocked in every thread and one waiter thread
// turns them into calls.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <functional>
#include <thread>

namespace mcpx::apps {

// Call before any other thread starts so that all threads inherit the mask.
// `on_terminate` runs once, at the first SIGINT or SIGTERM. `on_reload`, when
// given, runs at every SIGHUP until then; without it SIGHUP keeps its default
// action (the process ends).
inline void HandleSignals(std::function<void()> on_terminate, std::function<void()> on_reload = {}) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (on_reload) sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  std::thread waiter([set, on_terminate = std::move(on_terminate), on_reload = std::move(on_reload)] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (sig == SIGHUP) {
        on_reload();
        continue;
      }
      on_terminate();
      return;
    }
  });
  waiter.detach();  // lives as long as the process
}

}  // namespace mcpx::apps
