// Session expiry on the timing wheel and the watchdog on the in-flight
// registry (issue 12): both driven by injected time, never by sleeping.
#include <gtest/gtest.h>

#include <boost/asio/post.hpp>

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "engine/expiry_wheel.h"
#include "engine/server_access.h"
#include "mcpx/server.h"
#include "protocol/meta.h"
#include "support/engine_request.h"

namespace mcpx {
namespace {

using namespace std::chrono_literals;
using engine::ExpiryWheel;
using engine::Session;
using engine::SessionPtr;
using testing::RecordingChannel;

// --- The wheel alone ------------------------------------------------------------

class WheelTest : public ::testing::Test {
 protected:
  SessionPtr Make(const std::string& id, std::int64_t deadline) {
    auto s = std::make_shared<Session>(id, engine::ClientInit{}, 0);
    deadlines_[id] = deadline;
    sessions_.push_back(s);
    return s;
  }
  // Advances to `now`; returns the ids that expired.
  std::vector<std::string> Advance(ExpiryWheel& wheel, std::int64_t now, std::size_t slice = 512) {
    std::vector<std::string> out;
    wheel.Advance(
        now, [&](const Session& s) { return deadlines_.at(s.id()); },
        [&](const std::string& id) { out.push_back(id); }, static_cast<std::size_t>(-1), slice);
    return out;
  }
  std::map<std::string, std::int64_t> deadlines_;
  std::vector<SessionPtr> sessions_;
};

TEST_F(WheelTest, ASessionExpiresWithinOneTickOfItsDeadline) {
  ExpiryWheel wheel(100ms, 1000ms);
  auto s = Make("a", 1050);
  wheel.Add(*s, 1050, 0);
  EXPECT_EQ(wheel.size(), 1u);
  for (std::int64_t now = 0; now < 1050; now += 10) ASSERT_TRUE(Advance(wheel, now).empty()) << now;
  std::int64_t expired_at = -1;
  for (std::int64_t now = 1050; now <= 1200 && expired_at < 0; now += 10) {
    if (!Advance(wheel, now).empty()) expired_at = now;
  }
  EXPECT_GE(expired_at, 1050);
  EXPECT_LE(expired_at, 1050 + 100);
  EXPECT_EQ(wheel.size(), 0u);
  EXPECT_TRUE(Advance(wheel, 5000).empty());  // handed out once
}

TEST_F(WheelTest, ALaterDeadlineRelinksInsteadOfExpiring) {
  ExpiryWheel wheel(100ms, 1000ms);
  auto s = Make("a", 500);
  wheel.Add(*s, 500, 0);
  deadlines_["a"] = 1500;  // activity moved it
  EXPECT_TRUE(Advance(wheel, 600).empty());
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_TRUE(Advance(wheel, 1499).empty());
  EXPECT_EQ(Advance(wheel, 1600), std::vector<std::string>{"a"});
}

TEST_F(WheelTest, RemovedAndClosedSessionsNeverExpire) {
  ExpiryWheel wheel(100ms, 1000ms);
  auto removed = Make("removed", 200);
  auto closed = Make("closed", 200);
  wheel.Add(*removed, 200, 0);
  wheel.Remove(*removed);
  wheel.Remove(*removed);  // twice is harmless
  ASSERT_TRUE(closed->MarkClosed());
  wheel.Add(*closed, 200, 0);
  EXPECT_EQ(wheel.size(), 0u);
  EXPECT_TRUE(Advance(wheel, 10'000).empty());
}

// A deadline beyond the wheel's turn wraps: the session is looked at early,
// relinked, and expires on time.
TEST_F(WheelTest, DeadlinesBeyondOneTurnWrapAndStillExpireOnTime) {
  ExpiryWheel wheel(10ms, 100ms);
  const std::int64_t turn = wheel.tick_ms() * static_cast<std::int64_t>(wheel.slots());
  const std::int64_t deadline = 7 * turn + 5;
  auto s = Make("far", deadline);
  wheel.Add(*s, deadline, 0);
  for (std::int64_t now = 0; now < deadline; now += 10) ASSERT_TRUE(Advance(wheel, now).empty()) << now;
  EXPECT_EQ(Advance(wheel, deadline + 10), std::vector<std::string>{"far"});
}

TEST_F(WheelTest, ManyDueSessionsExpireAcrossSmallSlicesAndAfterAPause) {
  ExpiryWheel wheel(50ms, 1000ms);
  constexpr int kSessions = 1000;
  for (int i = 0; i < kSessions; ++i) {
    const std::string id = "s" + std::to_string(i);
    wheel.Add(*Make(id, 100 + i), 100 + i, 0);
  }
  // Nothing looked at for a long time; then one call, 7 sessions per lock hold.
  const auto expired = Advance(wheel, 1'000'000, /*slice=*/7);
  EXPECT_EQ(std::set<std::string>(expired.begin(), expired.end()).size(), static_cast<std::size_t>(kSessions));
  EXPECT_EQ(expired.size(), static_cast<std::size_t>(kSessions));
  EXPECT_EQ(wheel.size(), 0u);
}

// A sweep in steps of a bounded budget gets through everything due.
TEST_F(WheelTest, ABoundedBudgetResumesWhereItStopped) {
  ExpiryWheel wheel(50ms, 1000ms);
  for (int i = 0; i < 300; ++i) {
    const std::string id = "b" + std::to_string(i);
    wheel.Add(*Make(id, 100), 100, 0);
  }
  std::size_t expired = 0;
  int steps = 0;
  for (bool done = false; !done; ++steps) {
    const auto progress = wheel.Advance(
        200, [&](const Session& s) { return deadlines_.at(s.id()); }, [&](const std::string&) { ++expired; },
        /*budget=*/32, /*slice=*/8);
    EXPECT_LE(progress.looked, 32u);
    done = progress.done;
    ASSERT_LT(steps, 100);
  }
  EXPECT_EQ(expired, 300u);
  EXPECT_GE(steps, 300 / 32);
}

// A sweep visits the sessions that came due, not every session held.
TEST_F(WheelTest, ASweepLooksOnlyAtSessionsThatCameDue) {
  ExpiryWheel wheel(100ms, 10'000ms);
  for (int i = 0; i < 5000; ++i) {
    const std::string id = "idle" + std::to_string(i);
    wheel.Add(*Make(id, 9000), 9000, 0);
  }
  wheel.Add(*Make("soon", 250), 250, 0);
  std::size_t looked = 0;
  for (std::int64_t now = 0; now <= 1000; now += 100) {
    looked += wheel.Advance(
                       now, [&](const Session& s) { return deadlines_.at(s.id()); }, [](const std::string&) {})
                  .looked;
  }
  EXPECT_EQ(looked, 1u);
  EXPECT_EQ(wheel.size(), 5000u);
}

// --- The engine -----------------------------------------------------------------

class ExpiryTest : public ::testing::Test {
 protected:
  void SetUpServer(ServerOptions opts) {
    opts.worker_threads = 4;
    server_ = std::make_unique<Server>(opts);
    engine().SetClockForTesting([this] { return now_.load(); });
    server_->AddTool({.name = "block", .handler = [this](Context& ctx, const json::object&) {
                        ++blocked_;
                        for (int i = 0; i < 10'000 && !ctx.cancelled() && !release_; ++i) {
                          std::this_thread::sleep_for(1ms);
                        }
                        saw_cancel_ = ctx.cancelled();
                        return ToolResult::Text("done");
                      }});
    server_->Start();
  }
  void TearDown() override { server_.reset(); }
  engine::Engine& engine() { return engine::ServerAccess::EngineOf(*server_); }

  SessionPtr NewSession() {
    auto s = engine().NewSession(json::object{{"protocolVersion", "2025-11-25"}});
    s->set_standalone(std::make_shared<RecordingChannel>());
    EXPECT_TRUE(engine().Publish(s));
    s->MarkReady();
    return s;
  }
  std::shared_ptr<RecordingChannel> Send(const SessionPtr& s, std::string method, json::object params = {}) {
    return testing::SendRequest(engine(), s, next_id_++, std::move(method), std::move(params));
  }
  void WaitBlocked(int n) {
    for (int i = 0; i < 5000 && blocked_.load() < n; ++i) std::this_thread::sleep_for(1ms);
    ASSERT_EQ(blocked_.load(), n);
  }

  std::atomic<std::int64_t> now_{1'000'000};
  std::atomic<int> blocked_{0};
  std::atomic<bool> release_{false};
  std::atomic<bool> saw_cancel_{false};
  std::int64_t next_id_ = 1;
  std::unique_ptr<Server> server_;
};

// Idle 1 s, sweeps (and wheel ticks) every 250 ms: a session closes within
// one period after its deadline, never before.
TEST_F(ExpiryTest, ASessionExpiresWithinOnePeriodOfItsDeadline) {
  SetUpServer({.session_idle_timeout = 1000ms, .init_timeout = 1000ms});
  auto s = NewSession();
  now_ += 400;
  ASSERT_EQ(engine().FindSession(s->id()), s);  // activity: the deadline moves
  const std::int64_t deadline = now_.load() + 1000;
  std::int64_t closed_at = -1;
  for (int step = 0; step < 300 && closed_at < 0; ++step) {
    now_ += 10;
    engine().SweepExpired();
    if (s->state() == engine::SessionState::kClosed) closed_at = now_.load();
  }
  EXPECT_GE(closed_at, deadline);
  EXPECT_LE(closed_at, deadline + 250);
  EXPECT_EQ(server_->session_count(), 0u);
  EXPECT_EQ(engine().expiry().size(), 0u);
}

// A request in flight does not keep an idle session: it expires on time and
// the request is cancelled, its stream finished.
TEST_F(ExpiryTest, ASessionExpiresWhileARequestOfItIsInFlight) {
  SetUpServer({.session_idle_timeout = 1000ms, .init_timeout = 1000ms});
  auto s = NewSession();
  auto call = Send(s, "tools/call", {{"name", "block"}});
  WaitBlocked(1);
  EXPECT_EQ(engine().inflight().size(), 1u);
  now_ += 1000 + 250;
  engine().SweepExpired();  // (the server's own timer may sweep too)
  EXPECT_EQ(s->state(), engine::SessionState::kClosed);
  EXPECT_TRUE(call->WaitFinished(5s));
  for (int i = 0; i < 5000 && !saw_cancel_; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(saw_cancel_);
  EXPECT_EQ(engine().inflight().size(), 0u);
}

// A session's shard doubles several times after it was published; it still
// expires on time, alone, and the rest later.
TEST_F(ExpiryTest, ASessionExpiresOnTimeWhileItsShardGrows) {
  SetUpServer({.session_idle_timeout = 1000ms, .init_timeout = 1000ms, .max_sessions = 100'000});
  auto first = NewSession();
  const std::size_t slots = engine().sessions().table_slots();
  now_ += 500;
  constexpr int kMore = 60'000;
  for (int i = 0; i < kMore; ++i) NewSession();
  EXPECT_GE(engine().sessions().table_slots(), 4 * slots);  // grew
  now_ += 500 + 250;  // past the first's deadline only
  engine().SweepExpired();  // (the server's own timer may sweep too)
  EXPECT_EQ(first->state(), engine::SessionState::kClosed);
  EXPECT_EQ(server_->session_count(), static_cast<std::size_t>(kMore));
  now_ += 1000;
  engine().SweepExpired();
  // The server's own timer may have taken due sessions out of the wheel
  // just before, to close them in its next steps on the I/O thread: let
  // those steps run (each is queued behind this no-op; no clock involved).
  for (int i = 0; i < 1000 && server_->session_count() != 0; ++i) {
    std::promise<void> ran;
    boost::asio::post(engine().io(), [&ran] { ran.set_value(); });
    ran.get_future().wait();
  }
  EXPECT_EQ(server_->session_count(), 0u);
  EXPECT_EQ(engine().expiry().size(), 0u);
  engine().SweepExpired();  // compacts, now that all are gone
  EXPECT_LE(engine().sessions().table_slots(), slots);  // shrunk back
}

// Creation, use, deletion, expiry sweeps and watchdog ticks all at once
// (the point of this test is ThreadSanitizer); afterwards nothing is left.
TEST_F(ExpiryTest, ExpiryAndWatchdogRaceCreationUseAndDeletion) {
  SetUpServer({.session_idle_timeout = 200ms, .init_timeout = 200ms, .watchdog_deadline = 1h});
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        auto s = NewSession();
        if (i % 3 == 0) server_->CloseSession(s->id());
        if (i % 3 == 1) {
          engine().FindSession(s->id());
          protocol::Message m;
          m.kind = protocol::MessageKind::kRequest;
          m.id = t * 1000 + i;
          m.method = "ping";
          engine().HandleMessage(s, std::move(m), std::make_shared<RecordingChannel>());
        }
      }
    });
  }
  threads.emplace_back([&] {
    while (!done) {
      now_ += 7;
      engine().SweepExpired();
      engine().CheckOverdue(1LL << 60);
      std::this_thread::yield();
    }
  });
  for (int t = 0; t < 2; ++t) threads[t].join();
  done = true;
  threads[2].join();
  // The server's own timer may still hold a slice it took at an earlier
  // time (it puts back what had not expired then): a few more ticks.
  for (int i = 0; i < 100 && (server_->session_count() > 0 || i < 3); ++i) {
    now_ += 10'000;
    engine().SweepExpired();
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(server_->session_count(), 0u);
  EXPECT_EQ(engine().expiry().size(), 0u);
}

// --- The watchdog -------------------------------------------------------------------

// It finds overdue requests in the in-flight registry: session and
// stateless alike, each reported once, and a finished request leaves it.
TEST_F(ExpiryTest, TheWatchdogSeesSessionAndStatelessRequestsInFlight) {
  SetUpServer({.watchdog_deadline = 1h});
  auto s = NewSession();
  auto session_call = Send(s, "tools/call", {{"name", "block"}});
  auto stateless = std::make_shared<RecordingChannel>();
  protocol::Message m;
  m.kind = protocol::MessageKind::kRequest;
  m.id = "stateless-1";
  m.method = "tools/call";
  m.params = {{"name", "block"},
              {"_meta", {{protocol::meta::kProtocolVersion, "2026-07-28"}}}};
  engine().HandleMessage(nullptr, std::move(m), stateless);
  WaitBlocked(2);
  EXPECT_EQ(engine().inflight().size(), 2u);
  const std::int64_t now_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
  EXPECT_EQ(engine().CheckOverdue(now_us), 0u);  // not an hour yet
  EXPECT_EQ(engine().CheckOverdue(now_us + 3'600'000'000LL + 1), 2u);
  EXPECT_EQ(engine().CheckOverdue(now_us + 7'200'000'000LL), 0u);  // reported once
  EXPECT_NE(server_->MetricsText().find("mcpx_requests_overdue_total 2"), std::string::npos);
  release_ = true;
  ASSERT_TRUE(session_call->WaitFinal(5s));
  ASSERT_TRUE(stateless->WaitFinal(5s));
  for (int i = 0; i < 5000 && engine().inflight().size() > 0; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(engine().inflight().size(), 0u);
}

}  // namespace
}  // namespace mcpx
