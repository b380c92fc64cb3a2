// Shutdown on SIGINT/SIGTERM for the executables: the signals are blocked in
// every thread and one waiter thread turns them into a call of `on_signal`.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <functional>
#include <thread>

namespace mcpx::apps {

// Call before any other thread starts so that all threads inherit the mask.
inline void HandleTerminationSignals(std::function<void()> on_signal) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  std::thread waiter([set, on_signal = std::move(on_signal)] {
    int sig = 0;
    sigwait(&set, &sig);
    on_signal();
  });
  waiter.detach();  // lives as long as the process
}

}  // namespace mcpx::apps
