#include "engine/engine.h"
#include "engine/server_access.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/post.hpp>

#include "mcpx/error.h"
#include "mcpx/server.h"
#include "support/engine_request.h"

namespace mcpx {
namespace {

using testing::RecordingChannel;
using namespace std::chrono_literals;

json::object Schema(std::string_view text) { return json::parse(text).as_object(); }

class EngineTest : public ::testing::Test {
 protected:
  void SetUpServer(ServerOptions opts = {}) {
    if (opts.worker_threads == 0) opts.worker_threads = 4;
    server_ = std::make_unique<Server>(opts);
    server_->AddTool({.name = "echo",
                      .input_schema = Schema(R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})"),
                      .handler = [](Context&, const json::object& a) {
                        return ToolResult::Text(a.at("text").as_string());
                      }});
    server_->AddTool({.name = "throws", .handler = [](Context&, const json::object&) -> ToolResult {
                        throw std::runtime_error("boom");
                      }});
    server_->Start();
  }
  void SetUp() override { SetUpServer(); }
  void TearDown() override { server_.reset(); }  // stops and joins every thread

  engine::Engine& engine() { return mcpx::engine::ServerAccess::EngineOf(*server_); }

  engine::SessionPtr NewSession(std::shared_ptr<RecordingChannel> standalone = nullptr) {
    auto s = engine().NewSession(json::object{{"protocolVersion", "2025-11-25"},
                                              {"clientInfo", {{"name", "test"}, {"version", "1"}}}});
    s->set_standalone(standalone ? standalone : std::make_shared<RecordingChannel>());
    EXPECT_TRUE(engine().Publish(s));
    s->MarkReady();
    return s;
  }

  std::shared_ptr<RecordingChannel> Send(const engine::SessionPtr& s, json::value id, std::string method,
                                         json::object params = {}) {
    return testing::SendRequest(engine(), s, std::move(id), std::move(method), std::move(params));
  }

  json::value Call(const engine::SessionPtr& s, std::string method, json::object params = {}) {
    auto result = Send(s, next_id_++, std::move(method), std::move(params))->WaitFinal();
    EXPECT_TRUE(result.has_value());
    return result.value_or(nullptr);
  }

  void Notify(const engine::SessionPtr& s, std::string method, json::object params = {}) {
    protocol::Message m;
    m.kind = protocol::MessageKind::kNotification;
    m.method = std::move(method);
    m.params = std::move(params);
    engine().HandleMessage(s, std::move(m), nullptr);
  }

  static std::int64_t ErrorCodeOf(const json::value& response) {
    const auto* err = response.as_object().if_contains("error");
    return err ? err->at("code").as_int64() : 0;
  }

  std::unique_ptr<Server> server_;
  std::int64_t next_id_ = 1;
};

TEST_F(EngineTest, CallsToolAndReportsErrors) {
  auto s = NewSession();
  auto ok = Call(s, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "hi"}}}});
  EXPECT_EQ(ok.at("result").at("content").at(0).at("text"), "hi");

  // An unknown tool is a protocol error; arguments that fail the schema are
  // the model's to fix: a tool error result naming the problem (SEP-1303).
  EXPECT_EQ(ErrorCodeOf(Call(s, "tools/call", {{"name", "nope"}})), ErrorCode::kInvalidParams);
  auto missing = Call(s, "tools/call", {{"name", "echo"}, {"arguments", json::object()}});
  EXPECT_EQ(missing.at("result").at("isError"), true);
  EXPECT_EQ(missing.at("result").at("content").at(0).at("text"),
            "Invalid arguments for tool echo: missing required property 'text'");
  auto wrong = Call(s, "tools/call", {{"name", "echo"}, {"arguments", {{"text", 5}}}});
  EXPECT_EQ(wrong.at("result").at("isError"), true);
  EXPECT_EQ(ErrorCodeOf(Call(s, "no/such/method")), ErrorCode::kMethodNotFound);
}

// A ToolError is the tool's answer to the model; any other exception is
// -32603 whose message says nothing of the server's insides unless the
// server opts in.
TEST_F(EngineTest, ToolErrorIsAResultAndOtherExceptionsKeepTheirMessagesHome) {
  server_->AddTool({.name = "refuses", .handler = [](Context&, const json::object&) -> ToolResult {
                      throw ToolError("No flights on that date: try a weekday");
                    }});
  server_->AddTool({.name = "refuses_later",
                    .handler = [](Context, const json::object&, Reply<ToolResult>) {
                      throw ToolError("Quota used up until midnight");
                    }});
  auto s = NewSession();
  auto refused = Call(s, "tools/call", {{"name", "refuses"}});
  EXPECT_EQ(refused.at("result").at("isError"), true);
  EXPECT_EQ(refused.at("result").at("content").at(0).at("text"), "No flights on that date: try a weekday");
  auto later = Call(s, "tools/call", {{"name", "refuses_later"}});
  EXPECT_EQ(later.at("result").at("content").at(0).at("text"), "Quota used up until midnight");
  auto internal = Call(s, "tools/call", {{"name", "throws"}});
  EXPECT_EQ(internal.at("error").at("message"), "Internal error");

  s.reset();
  SetUpServer({.expose_exception_messages = true});
  auto s2 = NewSession();
  EXPECT_EQ(Call(s2, "tools/call", {{"name", "throws"}}).at("error").at("message"), "Internal error: boom");
}

// What could never work is refused when it is registered, naming the item.
TEST_F(EngineTest, RegistrationRefusesWhatCouldNeverWork) {
  const auto refusal = [&](auto add) -> std::string {
    try {
      add();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  const auto ok = [](Context&, const json::object&) { return ToolResult::Text("x"); };
  EXPECT_EQ(refusal([&] { server_->AddTool({.name = "", .handler = ok}); }),
            "tool '': a tool name has 1 to 128 characters");
  EXPECT_EQ(refusal([&] { server_->AddTool({.name = "get weather", .handler = ok}); }),
            "tool 'get weather': a tool name may hold only letters, digits, '_', '-' and '.'");
  EXPECT_EQ(refusal([&] { server_->AddTool({.name = std::string(129, 'a'), .handler = ok}); }).substr(0, 5), "tool ");
  EXPECT_EQ(refusal([&] { server_->AddTool({.name = "none"}); }), "tool 'none': it has no handler");
  EXPECT_EQ(refusal([&] { server_->AddTool({.name = "arr", .input_schema = {{"type", "array"}}, .handler = ok}); }),
            "tool 'arr': its inputSchema must have \"type\": \"object\"");
  EXPECT_EQ(refusal([&] {
              server_->AddResourceTemplate({.uri_template = "file:///{path", .name = "f",
                                            .read = [](Context&, const std::string&) {
                                              return std::vector<ResourceContents>{};
                                            }});
            }),
            "resource template 'file:///{path': the expression at offset 8 has no closing '}'");
  EXPECT_EQ(refusal([&] {
              server_->AddPrompt({.name = "p",
                                  .arguments = {{.name = "a"}, {.name = "a"}},
                                  .handler = [](Context&, const json::object&) { return PromptResult{}; }});
            }),
            "prompt 'p': the argument 'a' is declared twice");
  EXPECT_EQ(refusal([&] { server_->AddTool({.name = "admin.tools-list_v2", .handler = ok}); }), "");
}

// The first page of a list is serialized once per catalog change: a change
// shows in the next list, and a stateless list still gets its own members.
TEST_F(EngineTest, ListFirstPageFollowsCatalogChanges) {
  auto s = NewSession();
  auto names = [](const json::value& r) {
    std::vector<std::string> out;
    for (const auto& t : r.at("result").at("tools").as_array()) out.emplace_back(t.at("name").as_string());
    return out;
  };
  const auto before = names(Call(s, "tools/list"));
  EXPECT_EQ(names(Call(s, "tools/list")), before);  // the cached page, the same
  server_->AddTool({.name = "zz_added",
                    .description = "added",
                    .execution = Execution::kInline,
                    .handler = [](Context&, const json::object&) { return ToolResult::Text("x"); }});
  const auto after = names(Call(s, "tools/list"));
  ASSERT_EQ(after.size(), before.size() + 1);
  EXPECT_EQ(after.back(), "zz_added");
  const json::value session_list = Call(s, "tools/list");
  EXPECT_FALSE(session_list.at("result").as_object().contains("resultType"));
  EXPECT_FALSE(session_list.at("result").as_object().contains("ttlMs"));

  const json::value stateless = Call(
      nullptr, "tools/list",
      {{"_meta", {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                  {"io.modelcontextprotocol/clientCapabilities", json::object()}}}});
  const json::object& result = stateless.at("result").as_object();
  EXPECT_EQ(result.at("resultType"), "complete");
  EXPECT_EQ(result.at("ttlMs"), 0);
  EXPECT_EQ(result.at("cacheScope"), "private");
  EXPECT_TRUE(result.at("_meta").as_object().contains("io.modelcontextprotocol/serverInfo"));
  EXPECT_EQ(result.at("tools").as_array().size(), after.size());
}

TEST_F(EngineTest, ThrowingHandlerFailsOnlyItsRequest) {
  auto s = NewSession();
  EXPECT_EQ(ErrorCodeOf(Call(s, "tools/call", {{"name", "throws"}})), ErrorCode::kInternalError);
  auto ok = Call(s, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "still here"}}}});
  EXPECT_EQ(ok.at("result").at("content").at(0).at("text"), "still here");
}

// Pool handlers run on workers that give way to the I/O threads: SCHED_IDLE by
// default, nice 19 with kNice, as the I/O threads with kNormal.
TEST_F(EngineTest, WorkersRunAtTheConfiguredPriority) {
  struct Case {
    ServerOptions::WorkerPriority priority;
    int policy;
    int nice;
  };
  for (const Case c : {Case{ServerOptions::WorkerPriority::kIdle, SCHED_IDLE, 0},
                       Case{ServerOptions::WorkerPriority::kNice, SCHED_OTHER, 19},
                       Case{ServerOptions::WorkerPriority::kNormal, SCHED_OTHER, 0}}) {
    server_.reset();
    ServerOptions opts;
    opts.worker_priority = c.priority;
    SetUpServer(opts);
    server_->AddTool({.name = "where", .handler = [](Context&, const json::object&) {
                        const int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
                        return ToolResult::Text(std::to_string(sched_getscheduler(0)) + " " +
                                                std::to_string(nice));
                      }});
    auto s = NewSession();
    auto out = Call(s, "tools/call", {{"name", "where"}});
    EXPECT_EQ(out.at("result").at("content").at(0).at("text").as_string(),
              std::to_string(c.policy) + " " + std::to_string(c.nice));
  }
}

// Four requests of one session must all be inside the handler at once (its
// worker share allowing); run one after another, the barrier would never fill
// and each call would fail.
TEST_F(EngineTest, RequestsOfOneSessionRunConcurrently) {
  SetUpServer({.worker_threads = 4, .max_workers_per_session = 4});
  std::mutex mu;
  std::condition_variable cv;
  int inside = 0;
  server_->AddTool({.name = "barrier", .handler = [&](Context&, const json::object&) {
                      std::unique_lock<std::mutex> lock(mu);
                      ++inside;
                      cv.notify_all();
                      const bool all = cv.wait_for(lock, 10s, [&] { return inside >= 4; });
                      return all ? ToolResult::Text("met") : ToolResult::ErrorText("alone");
                    }});
  auto s = NewSession();
  std::vector<std::shared_ptr<RecordingChannel>> calls;
  for (int i = 0; i < 4; ++i) calls.push_back(Send(s, 100 + i, "tools/call", {{"name", "barrier"}}));
  for (auto& c : calls) {
    auto r = c->WaitFinal();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->at("result").at("content").at(0).at("text"), "met");
  }
}

// A handler that calls back into the server (lists sessions, notifies another
// session, runs a nested tool) while other requests of both sessions run.
TEST_F(EngineTest, HandlerCallsBackIntoServerWithoutDeadlock) {
  auto other_standalone = std::make_shared<RecordingChannel>();
  auto other = NewSession(other_standalone);
  server_->AddTool({.name = "reentrant", .handler = [&](Context& ctx, const json::object&) {
                      const auto sessions = ctx.server().ListSessions().sessions;
                      EXPECT_TRUE(ctx.server().Notify(other->id(), "notifications/message",
                                                      {{"level", "info"}, {"data", "hello"}}));
                      ToolResult nested = ctx.server().CallTool(ctx, "echo", {{"text", "nested"}});
                      return ToolResult::Text(std::to_string(sessions.size()) + ":" +
                                              std::string(nested.content.at(0).at("text").as_string()));
                    }});
  auto s = NewSession();
  std::vector<std::shared_ptr<RecordingChannel>> calls;
  for (int i = 0; i < 16; ++i) {
    calls.push_back(Send(i % 2 ? s : other, 1000 + i, "tools/call", {{"name", i % 3 ? "reentrant" : "echo"},
                                                                   {"arguments", {{"text", "x"}}}}));
  }
  for (int i = 0; i < 16; ++i) {
    auto r = calls[i]->WaitFinal();
    ASSERT_TRUE(r) << i;
    const auto text = r->at("result").at("content").at(0).at("text").as_string();
    EXPECT_EQ(text, i % 3 ? "2:nested" : "x");
  }
  EXPECT_TRUE(other_standalone->WaitMethod("notifications/message"));
}

TEST_F(EngineTest, CancelledRequestSendsNoResponseAndHandlerSeesIt) {
  std::atomic<bool> saw_cancel{false};
  std::atomic<bool> started{false};
  server_->AddTool({.name = "wait_cancel", .handler = [&](Context& ctx, const json::object&) {
                      started = true;
                      for (int i = 0; i < 1000 && !ctx.cancelled(); ++i) std::this_thread::sleep_for(5ms);
                      saw_cancel = ctx.cancelled();
                      return ToolResult::Text("late");
                    }});
  auto s = NewSession();
  auto channel = Send(s, "c1", "tools/call", {{"name", "wait_cancel"}});
  // Wait until the handler runs, then cancel it.
  for (int i = 0; i < 5000 && !started; ++i) std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(started);
  Notify(s, "notifications/cancelled", {{"requestId", "c1"}, {"reason", "test"}});
  EXPECT_TRUE(channel->WaitFinished());
  for (int i = 0; i < 2000 && !saw_cancel; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(saw_cancel);
  EXPECT_FALSE(channel->WaitFinal(100ms).has_value());
}

TEST_F(EngineTest, ProgressAndLoggingHonourTokenAndLevel) {
  server_->AddTool({.name = "chatty", .handler = [](Context& ctx, const json::object&) {
                      ctx.Progress(1, 2, "half");
                      ctx.Log(LogLevel::kDebug, "debug line");
                      ctx.Log(LogLevel::kError, "error line");
                      return ToolResult::Text("done");
                    }});
  auto s = NewSession();
  EXPECT_EQ(Call(s, "logging/setLevel", {{"level", "warning"}}).at("result"), json::object());
  EXPECT_EQ(ErrorCodeOf(Call(s, "logging/setLevel", {{"level", "loud"}})), ErrorCode::kInvalidParams);
  auto channel = Send(s, 9, "tools/call", {{"name", "chatty"}, {"_meta", {{"progressToken", "tok"}}}});
  ASSERT_TRUE(channel->WaitFinal());
  auto msgs = channel->messages();
  ASSERT_EQ(msgs.size(), 3u);  // progress, the error log, the result
  EXPECT_EQ(msgs[0].at("method"), "notifications/progress");
  EXPECT_EQ(msgs[0].at("params").at("progressToken"), "tok");
  EXPECT_EQ(msgs[0].at("params").at("progress"), 1);
  EXPECT_EQ(msgs[1].at("params").at("level"), "error");
  EXPECT_EQ(msgs[2].at("id"), 9);
}

TEST_F(EngineTest, ServerToClientRequestRoundTrip) {
  server_->AddTool({.name = "ask", .handler = [](Context& ctx, const json::object&) {
                      ClientResponse r = ctx.RequestClientSync("sampling/createMessage", {{"maxTokens", 5}});
                      if (!r.ok) return ToolResult::ErrorText(r.error_message);
                      return ToolResult::Text(r.result.at("content").at("text").as_string());
                    }});
  auto s = NewSession();
  auto channel = Send(s, 1, "tools/call", {{"name", "ask"}});
  auto request = channel->WaitMethod("sampling/createMessage");
  ASSERT_TRUE(request);
  protocol::Message answer;
  answer.kind = protocol::MessageKind::kResponse;
  answer.id = request->at("id");
  answer.result = json::object{{"role", "assistant"}, {"content", {{"type", "text"}, {"text", "sampled"}}}};
  engine().HandleMessage(s, std::move(answer), nullptr);
  auto r = channel->WaitFinal();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("result").at("content").at(0).at("text"), "sampled");
}

TEST_F(EngineTest, ToolTimeoutFailsRequest) {
  server_->AddTool({.name = "stuck",
                    .handler = [](Context& ctx, const json::object&) {
                      for (int i = 0; i < 2000 && !ctx.cancelled(); ++i) std::this_thread::sleep_for(1ms);
                      return ToolResult::Text("finished");
                    },
                    .timeout = 50ms});
  auto s = NewSession();
  EXPECT_EQ(ErrorCodeOf(Call(s, "tools/call", {{"name", "stuck"}})), ErrorCode::kRequestTimeout);
}

// Every worker blocked in a synchronous client request: the answers and the
// timeouts must still get through (neither may need a free worker).
TEST_F(EngineTest, BusyPoolStillReceivesClientAnswersAndTimeouts) {
  TearDown();
  SetUpServer({.worker_threads = 2, .client_request_timeout = 200ms});
  server_->AddTool({.name = "ask", .handler = [](Context& ctx, const json::object&) {
                      ClientResponse r = ctx.RequestClientSync("roots/list", {});
                      return r.ok ? ToolResult::Text("answered") : ToolResult::Text("timed out");
                    }});
  auto s = NewSession();
  auto a = Send(s, 1, "tools/call", {{"name", "ask"}});
  auto b = Send(s, 2, "tools/call", {{"name", "ask"}});
  auto request = a->WaitMethod("roots/list");
  ASSERT_TRUE(request);
  protocol::Message answer;
  answer.kind = protocol::MessageKind::kResponse;
  answer.id = request->at("id");
  answer.result = json::object{{"roots", json::array()}};
  engine().HandleMessage(s, std::move(answer), nullptr);
  auto ra = a->WaitFinal(5s), rb = b->WaitFinal(5s);
  ASSERT_TRUE(ra && rb);
  EXPECT_EQ(ra->at("result").at("content").at(0).at("text"), "answered");
  EXPECT_EQ(rb->at("result").at("content").at(0).at("text"), "timed out");
}

// Issue 8, defect 7: two sessions whose handlers wait on client requests that
// are never answered held every worker, so a third session's pool tool waited
// for the client-request timeout. Each session now holds at most its share
// (here a quarter of 4 workers) and the third session is served at once.
TEST_F(EngineTest, NoSessionHoldsMoreThanItsShareOfWorkers) {
  TearDown();
  SetUpServer({.worker_threads = 4, .client_request_timeout = 30s});
  server_->AddTool({.name = "ask", .handler = [](Context& ctx, const json::object&) {
                      ClientResponse r = ctx.RequestClientSync("sampling/createMessage", {});
                      return ToolResult::Text(r.ok ? "answered" : "no answer");
                    }});
  std::vector<std::shared_ptr<RecordingChannel>> hostile;
  auto a = NewSession(), b = NewSession();
  for (int i = 0; i < 2; ++i) {
    hostile.push_back(Send(a, 10 + i, "tools/call", {{"name", "ask"}}));
    hostile.push_back(Send(b, 20 + i, "tools/call", {{"name", "ask"}}));
  }
  ASSERT_TRUE(hostile[0]->WaitMethod("sampling/createMessage"));
  ASSERT_TRUE(hostile[1]->WaitMethod("sampling/createMessage"));
  auto c = NewSession();
  auto answer = Send(c, 1, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "served"}}}});
  auto r = answer->WaitFinal(10s);  // the hostile requests time out only after 30 s
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("result").at("content").at(0).at("text"), "served");
  // Closing the hostile sessions fails their client requests and frees the
  // workers (TearDown would otherwise wait for the timeouts).
  server_->CloseSession(a->id());
  server_->CloseSession(b->id());
}

// Issue 8: an exception escaping any handler on an I/O or worker thread
// ended io.run() and the process. The thread logs it and goes on.
TEST_F(EngineTest, AnExceptionEscapingAHandlerDoesNotEndItsThread) {
  boost::asio::post(engine().io(), [] { throw std::runtime_error("escaped on the I/O thread"); });
  engine().Post([] { throw std::runtime_error("escaped on a worker"); });
  auto io_alive = std::make_shared<std::promise<void>>();
  engine().AfterOnIo(1ms, [io_alive] { io_alive->set_value(); });
  EXPECT_EQ(io_alive->get_future().wait_for(5s), std::future_status::ready);
  for (int i = 0; i < 4; ++i) engine().Post([] { throw std::logic_error("again"); });
  auto s = NewSession();
  auto ok = Call(s, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "still here"}}}});
  EXPECT_EQ(ok.at("result").at("content").at(0).at("text"), "still here");
}

// A tool that never yields its worker is still timed out.
TEST_F(EngineTest, ToolTimeoutFiresWhileEveryWorkerIsBusy) {
  TearDown();
  SetUpServer({.worker_threads = 1});
  // Shared, not on the stack: the handler outlives the test body until the
  // server is joined.
  auto release = std::make_shared<std::atomic<bool>>(false);
  server_->AddTool({.name = "hog",
                    .handler = [release](Context&, const json::object&) {
                      while (!*release) std::this_thread::sleep_for(1ms);
                      return ToolResult::Text("finally");
                    },
                    .timeout = 50ms});
  auto s = NewSession();
  auto r = Send(s, 1, "tools/call", {{"name", "hog"}})->WaitFinal(5s);
  *release = true;
  ASSERT_TRUE(r);
  EXPECT_EQ(ErrorCodeOf(*r), ErrorCode::kRequestTimeout);
}

TEST_F(EngineTest, WatchdogReportsAndCancelsOverdueRequests) {
  TearDown();
  SetUpServer({.watchdog_deadline = 50ms, .watchdog_cancels = true});
  std::atomic<bool> saw_cancel{false};
  server_->AddTool({.name = "slow", .handler = [&](Context& ctx, const json::object&) {
                      for (int i = 0; i < 5000 && !ctx.cancelled(); ++i) std::this_thread::sleep_for(1ms);
                      saw_cancel = ctx.cancelled();
                      return ToolResult::Text("slow");
                    }});
  auto s = NewSession();
  auto r = Send(s, 1, "tools/call", {{"name", "slow"}})->WaitFinal(5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(ErrorCodeOf(*r), ErrorCode::kRequestTimeout);
  for (int i = 0; i < 2000 && !saw_cancel; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(saw_cancel);
  const std::string m = server_->MetricsText();
  EXPECT_NE(m.find("mcpx_requests_overdue_total 1"), std::string::npos) << m;
  EXPECT_NE(m.find("mcpx_requests_timed_out_total 1"), std::string::npos) << m;
}

TEST_F(EngineTest, PaginatesWithOpaqueCursors) {
  TearDown();
  SetUpServer({.page_size = 2});
  for (int i = 0; i < 3; ++i) {
    server_->AddTool({.name = "t" + std::to_string(i), .handler = [](Context&, const json::object&) {
                        return ToolResult::Text("");
                      }});
  }
  auto s = NewSession();
  std::vector<std::string> names;
  json::object params;
  for (int page = 0; page < 10; ++page) {
    auto r = Call(s, "tools/list", params).at("result").as_object();
    for (const auto& t : r.at("tools").as_array()) names.emplace_back(t.at("name").as_string());
    if (!r.contains("nextCursor")) break;
    params = {{"cursor", r.at("nextCursor")}};
  }
  EXPECT_EQ(names, (std::vector<std::string>{"echo", "t0", "t1", "t2", "throws"}));
  EXPECT_EQ(ErrorCodeOf(Call(s, "tools/list", {{"cursor", "garbage"}})), ErrorCode::kInvalidParams);
}

TEST_F(EngineTest, SessionsExpireWhenIdleAndWhenNeverInitialized) {
  std::atomic<std::int64_t> now{1'000'000};
  engine().SetClockForTesting([&] { return now.load(); });
  TearDown();
  SetUpServer({.session_idle_timeout = 1000ms, .init_timeout = 200ms});
  engine().SetClockForTesting([&] { return now.load(); });
  auto ready = NewSession();
  auto pending = engine().NewSession(json::object{{"protocolVersion", "2025-11-25"}});
  ASSERT_TRUE(engine().Publish(pending));
  EXPECT_EQ(server_->session_count(), 2u);

  now += 300;  // past the init timeout only
  EXPECT_EQ(engine().SweepExpired(), 1u);
  EXPECT_EQ(pending->state(), engine::SessionState::kClosed);
  EXPECT_EQ(engine().FindSession(ready->id()), ready);  // also touches it

  now += 900;  // idle 900 ms since the touch: still alive
  EXPECT_EQ(engine().SweepExpired(), 0u);
  now += 200;
  EXPECT_EQ(engine().SweepExpired(), 1u);
  EXPECT_EQ(ready->state(), engine::SessionState::kClosed);
  EXPECT_EQ(server_->session_count(), 0u);
  EXPECT_EQ(engine().FindSession(ready->id()), nullptr);
  EXPECT_NE(server_->MetricsText().find("mcpx_sessions_expired_total 2"), std::string::npos);
}

TEST_F(EngineTest, SessionCapRejectsAndCounts) {
  TearDown();
  SetUpServer({.max_sessions = 2});
  NewSession();
  NewSession();
  auto third = engine().NewSession(json::object{{"protocolVersion", "2025-11-25"}});
  EXPECT_FALSE(engine().Publish(third));
  EXPECT_EQ(server_->session_count(), 2u);
  EXPECT_NE(server_->MetricsText().find("mcpx_sessions_rejected_total 1"), std::string::npos);
}

TEST_F(EngineTest, NegotiatesProtocolVersion) {
  auto old = engine().NewSession(json::object{{"protocolVersion", "2025-03-26"}});
  EXPECT_EQ(old->init().protocol_version, "2025-03-26");
  auto future = engine().NewSession(json::object{{"protocolVersion", "2099-01-01"}});
  EXPECT_EQ(future->init().protocol_version, "2025-11-25");
  std::string error;
  EXPECT_EQ(engine().NewSession(json::object{}, &error), nullptr);
  EXPECT_NE(error.find("protocolVersion"), std::string::npos);
}

TEST_F(EngineTest, ResourceUpdatesGoOnlyToSubscribers) {
  auto sub_channel = std::make_shared<RecordingChannel>();
  auto other_channel = std::make_shared<RecordingChannel>();
  auto subscriber = NewSession(sub_channel);
  auto other = NewSession(other_channel);
  Call(subscriber, "resources/subscribe", {{"uri", "x://a"}});
  server_->NotifyResourceUpdated("x://a");
  auto got = sub_channel->WaitMethod("notifications/resources/updated");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->at("params").at("uri"), "x://a");
  EXPECT_FALSE(other_channel->WaitMethod("notifications/resources/updated", 50ms));
  Call(subscriber, "resources/unsubscribe", {{"uri", "x://a"}});
  EXPECT_FALSE(subscriber->IsSubscribed("x://a"));
}

}  // namespace
}  // namespace mcpx
