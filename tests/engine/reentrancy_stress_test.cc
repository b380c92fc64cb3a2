// Reentrancy stress: handlers that call back into the engine (list sessions,
// notify other sessions, ask the client, call a nested tool, end their own
// session) from 64 client threads at once. Passing means: every call
// completes (a hang trips the ctest timeout), every answer is right, and under
// ThreadSanitizer no race is reported.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "engine/server_access.h"
#include "mcpx/server.h"
#include "support/recording_channel.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define MCPX_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define MCPX_SANITIZED 1
#endif

namespace mcpx {
namespace {

using namespace std::chrono_literals;

int Iterations() {
  if (const char* env = std::getenv("MCPX_STRESS_ITERATIONS")) return std::atoi(env);
#if defined(MCPX_SANITIZED)
  return 1000;  // sanitizers run ~10-20x slower; CI time is bounded
#else
  return 10000;
#endif
}

// A standalone/request channel that answers every server-to-client request
// at once, re-entering the engine from inside Send.
class AnsweringChannel : public engine::Channel {
 public:
  AnsweringChannel(engine::Engine& e, engine::SessionPtr* session) : engine_(e), session_(session) {}
  void Send(std::string message, bool) override {
    auto v = json::parse(message);
    const auto& obj = v.as_object();
    if (!obj.contains("method") || !obj.contains("id")) return;  // notifications, responses
    protocol::Message answer;
    answer.kind = protocol::MessageKind::kResponse;
    answer.id = obj.at("id");
    answer.result = json::object{{"roots", json::array()}};
    engine_.HandleMessage(*session_, std::move(answer), nullptr);
  }
  void Finish() override {}

 private:
  engine::Engine& engine_;
  engine::SessionPtr* session_;
};

// Completes when the engine sends the final response or finishes the channel.
// Non-final messages (server-to-client requests) go to the answering channel.
class Completion : public engine::Channel {
 public:
  explicit Completion(engine::Channel* answering) : answering_(answering) {}
  void Send(std::string message, bool final) override {
    if (!final) {
      answering_->Send(std::move(message), false);
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    response_ = std::move(message);
    done_ = true;
    cv_.notify_all();
  }
  void Finish() override {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    cv_.notify_all();
  }
  bool Wait(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return done_; });
  }
  std::string response() {
    std::lock_guard<std::mutex> lock(mu_);
    return response_;
  }

 private:
  engine::Channel* answering_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string response_;
  bool done_ = false;
};

TEST(ReentrancyStress, HandlersCallingBackIntoTheEngineNeverDeadlock) {
  Server server({.worker_threads = 4, .client_request_timeout = 5s});
  engine::Engine& engine = mcpx::engine::ServerAccess::EngineOf(server);
  constexpr int kThreads = 64;
  constexpr int kShared = 8;

  std::vector<engine::SessionPtr> shared(kShared);
  auto open = [&](engine::SessionPtr* slot) {
    auto s = engine.NewSession(json::object{{"protocolVersion", "2025-11-25"}});
    s->set_standalone(std::make_shared<AnsweringChannel>(engine, slot));
    *slot = s;
    EXPECT_TRUE(engine.Publish(s));
    s->MarkReady();
  };

  server.AddTool({.name = "list", .handler = [](Context& ctx, const json::object&) {
                    return ToolResult::Text(std::to_string(ctx.server().ListSessions().sessions.size()));
                  }});
  server.AddTool({.name = "notify", .handler = [&](Context& ctx, const json::object&) {
                    for (const auto& s : ctx.server().ListSessions().sessions) {
                      if (s.id != ctx.session_id()) {
                        ctx.server().Notify(s.id, "notifications/message", {{"level", "info"}, {"data", "hi"}});
                        break;
                      }
                    }
                    return ToolResult::Text("ok");
                  }});
  server.AddTool({.name = "ask", .handler = [](Context& ctx, const json::object&) {
                    ClientResponse r = ctx.RequestClientSync("roots/list", {});
                    return r.ok ? ToolResult::Text("ok") : ToolResult::ErrorText(r.error_message);
                  }});
  server.AddTool({.name = "nested", .handler = [](Context& ctx, const json::object&) {
                    return ctx.server().CallTool(ctx, "list", {});
                  }});
  server.AddTool({.name = "end_self", .handler = [](Context& ctx, const json::object&) {
                    ctx.server().CloseSession(ctx.session_id());
                    return ToolResult::Text("gone");
                  }});
  server.Start();
  for (auto& slot : shared) open(&slot);

  const int iterations = Iterations();
  const char* kTools[] = {"list", "notify", "ask", "nested"};
  std::atomic<long> completed{0}, wrong{0}, hung{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      engine::SessionPtr own;
      open(&own);
      for (int i = 0; i < iterations / kThreads; ++i) {
        const bool end_self = rng() % 50 == 0;
        engine::SessionPtr* target = end_self ? &own : &shared[rng() % kShared];
        engine::SessionPtr session = *target;
        AnsweringChannel answers(engine, target);
        auto completion = std::make_shared<Completion>(&answers);
        protocol::Message m;
        m.kind = protocol::MessageKind::kRequest;
        m.id = static_cast<std::int64_t>(t) * 1'000'000 + i;
        m.method = "tools/call";
        m.params = {{"name", end_self ? "end_self" : kTools[rng() % 4]}};
        engine.HandleMessage(session, std::move(m), completion);
        if (!completion->Wait(30s)) {
          hung++;
          continue;
        }
        completed++;
        if (end_self) {
          if (session->state() != engine::SessionState::kClosed) wrong++;
          open(&own);
        } else if (completion->response().find("\"error\"") != std::string::npos ||
                   completion->response().find("\"isError\":true") != std::string::npos) {
          wrong++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(hung.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(completed.load(), static_cast<long>(iterations / kThreads) * kThreads);
  server.Stop();
}

}  // namespace
}  // namespace mcpx
