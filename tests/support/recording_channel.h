// A Channel that records what the engine sends, for tests.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/channel.h"
#include "mcpx/json.h"

namespace mcpx::testing {

class RecordingChannel : public engine::Channel {
 public:
  void Send(std::string message, bool final) override {
    std::lock_guard<std::mutex> lock(mu_);
    messages_.push_back(json::parse(message));
    if (final) final_ = messages_.back();
    cv_.notify_all();
  }
  void Finish() override {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
    cv_.notify_all();
  }

  // The final response, waiting up to `timeout`.
  std::optional<json::value> WaitFinal(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [this] { return final_.has_value(); });
    return final_;
  }
  bool WaitFinished(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return finished_; });
  }
  // The first message (of any kind) whose "method" is `method`.
  std::optional<json::value> WaitMethod(std::string_view method,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    std::optional<json::value> found;
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& m : messages_) {
        const auto* mm = m.as_object().if_contains("method");
        if (mm && mm->is_string() && mm->get_string() == method) {
          found = m;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::vector<json::value> messages() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<json::value> messages_;
  std::optional<json::value> final_;
  bool finished_ = false;
};

}  // namespace mcpx::testing
