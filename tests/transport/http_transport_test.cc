// The Streamable HTTP transport over real loopback sockets: the protocol's
// happy paths, every hostile-input case, and cleanup of vanished clients.
#include "mcpx/http_transport.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "engine/server_access.h"
#include "mcpx/server.h"
#include "support/http_client.h"
#include "support/mcp_http.h"
#include "transport/http/shared.h"

namespace mcpx {
namespace {

using testing::HttpClient;
using testing::HttpResponse;
using namespace std::chrono_literals;

constexpr const char* kInit = testing::kInitializeBody;

class HttpTransportTest : public ::testing::Test {
 protected:
  void Start(ServerOptions sopts = {}, HttpOptions hopts = {}) {
    if (sopts.worker_threads == 0) sopts.worker_threads = 4;
    server_ = std::make_unique<Server>(sopts);
    server_->AddTool({.name = "echo",
                      .input_schema = json::parse(R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})").as_object(),
                      .execution = Execution::kInline,
                      .handler = [](Context&, const json::object& a) {
                        return ToolResult::Text(a.at("text").as_string());
                      }});
    server_->AddTool({.name = "throws", .handler = [](Context&, const json::object&) -> ToolResult {
                        throw std::runtime_error("boom");
                      }});
    server_->AddTool({.name = "steps",
                      .handler = [this](Context ctx, const json::object&, Reply<ToolResult> reply) {
                        ctx.Log(LogLevel::kInfo, "step 1");
                        ctx.After(std::chrono::milliseconds(steps_delay_ms_.load()), [ctx, reply]() mutable {
                          ctx.Log(LogLevel::kInfo, "step 2");
                          reply(ToolResult::Text("stepped"));
                        });
                      }});
    server_->AddTool({.name = "poll",
                      .handler = [](Context ctx, const json::object&, Reply<ToolResult> reply) {
                        ctx.CloseStream();
                        ctx.After(50ms, [reply] { reply(ToolResult::Text("after reconnect")); });
                      }});
    server_->AddTool({.name = "poll_later",
                      .handler = [](Context ctx, const json::object&, Reply<ToolResult> reply) {
                        ctx.After(300ms, [reply] { reply(ToolResult::Text("late")); });
                      }});
    server_->Start();
    hopts.port = 0;
    http_ = std::make_unique<HttpTransport>(*server_, hopts);
    port_ = http_->Listen();
  }
  void SetUp() override {}
  void TearDown() override {
    http_.reset();
    if (server_) server_->Stop();
  }

  std::map<std::string, std::string> Headers(const std::string& session = "") {
    return testing::McpHeaders(session);
  }

  std::string Initialize(HttpClient& c) { return testing::InitializeSession(c); }

  HttpResponse Post(HttpClient& c, const std::string& sid, const std::string& body) {
    return c.Request("POST", "/mcp", body, Headers(sid));
  }

  std::int64_t Metric(const std::string& name) { return testing::ScrapeMetric(port_, name); }

  std::unique_ptr<Server> server_;
  std::unique_ptr<HttpTransport> http_;
  unsigned short port_ = 0;
  std::atomic<int> steps_delay_ms_{20};
};

TEST_F(HttpTransportTest, InitializeThenCallTool) {
  Start();
  HttpClient c(port_);
  HttpResponse init = c.Request("POST", "/mcp", kInit, Headers());
  ASSERT_EQ(init.status, 200);
  EXPECT_EQ(init.header("content-type"), "application/json");
  const std::string sid = init.header("mcp-session-id");
  ASSERT_EQ(sid.size(), 32u);  // 128 bits, hex
  for (char ch : sid) EXPECT_TRUE(ch >= 0x21 && ch <= 0x7e);
  EXPECT_EQ(init.json().at("result").at("protocolVersion"), "2025-11-25");

  auto r = Post(c, sid, R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("result").at("content").at(0).at("text"), "hi");
}

TEST_F(HttpTransportTest, JsonRpcErrorsForBadMessages) {
  Start();
  HttpClient c(port_);
  const std::string sid = Initialize(c);

  auto parse = Post(c, sid, "{not json");
  EXPECT_EQ(parse.status, 400);
  EXPECT_EQ(parse.json().at("error").at("code"), -32700);

  c.Connect();
  for (const char* body : {R"({"jsonrpc":"1.0","id":1,"method":"ping"})", R"({"jsonrpc":"2.0","id":null,"method":"ping"})",
                           R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])"}) {
    auto r = Post(c, sid, body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(r.json().at("error").at("code"), -32600) << body;
    c.Connect();
  }
  auto unknown = Post(c, sid, R"({"jsonrpc":"2.0","id":5,"method":"no/such"})");
  EXPECT_EQ(unknown.json().at("error").at("code"), -32601);
  auto tool = Post(c, sid, R"({"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"nope"}})");
  EXPECT_EQ(tool.json().at("error").at("code"), -32602);
  // Arguments that fail the schema are a tool error result (SEP-1303).
  auto params = Post(c, sid, R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":1}}})");
  EXPECT_EQ(params.json().at("result").at("isError"), true);
  auto not_object = Post(c, sid, R"({"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"echo","arguments":[1]}})");
  EXPECT_EQ(not_object.json().at("error").at("code"), -32602);
}

TEST_F(HttpTransportTest, DeepNestingAndInvalidUtf8Are400) {
  Start();
  HttpClient c(port_);
  const std::string sid = Initialize(c);
  std::string deep = R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":)" + std::string(500, '[') +
                     std::string(500, ']') + "}}";
  EXPECT_EQ(Post(c, sid, deep).status, 400);
  c.Connect();
  EXPECT_EQ(Post(c, sid, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\xc3\x28\"}").status, 400);
}

TEST_F(HttpTransportTest, SessionHeaderChecks) {
  Start();
  HttpClient c(port_);
  const std::string ping = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  EXPECT_EQ(Post(c, "", ping).status, 400);
  EXPECT_EQ(Post(c, "0123456789abcdef0123456789abcdef", ping).status, 404);
  const std::string sid = Initialize(c);
  EXPECT_EQ(Post(c, sid, ping).status, 200);

  auto headers = Headers(sid);
  headers["MCP-Protocol-Version"] = "1999-01-01";
  EXPECT_EQ(c.Request("POST", "/mcp", ping, headers).status, 400);
  headers["MCP-Protocol-Version"] = "2025-06-18";  // older than negotiated: taken
  EXPECT_EQ(c.Request("POST", "/mcp", ping, headers).status, 200);

  // A session negotiated at 2025-06-18 may not claim 2025-11-25 (issue 8:
  // the header was never compared with the negotiated version).
  std::string old_init = kInit;
  old_init.replace(old_init.find("2025-11-25"), 10, "2025-06-18");
  const std::string old_sid = c.Request("POST", "/mcp", old_init, Headers()).header("mcp-session-id");
  auto newer = Headers(old_sid);
  newer["MCP-Protocol-Version"] = "2025-11-25";
  EXPECT_EQ(c.Request("POST", "/mcp", ping, newer).status, 400);
  newer["MCP-Protocol-Version"] = "2025-06-18";
  EXPECT_EQ(c.Request("POST", "/mcp", ping, newer).status, 200);

  EXPECT_EQ(c.Request("DELETE", "/mcp", "", Headers(sid)).status, 200);
  EXPECT_EQ(Post(c, sid, ping).status, 404);
}

TEST_F(HttpTransportTest, HeaderValidation) {
  Start();
  HttpClient c(port_);
  const std::string sid = Initialize(c);
  const std::string ping = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";

  auto h = Headers(sid);
  h["Accept"] = "application/json";
  EXPECT_EQ(c.Request("POST", "/mcp", ping, h).status, 406);
  h = Headers(sid);
  h["Content-Type"] = "text/plain";
  EXPECT_EQ(c.Request("POST", "/mcp", ping, h).status, 415);
  h = Headers(sid);
  h["Origin"] = "http://evil.example";
  EXPECT_EQ(c.Request("POST", "/mcp", ping, h).status, 403);
  h = Headers(sid);
  h["Origin"] = "http://localhost:" + std::to_string(port_);
  EXPECT_EQ(c.Request("POST", "/mcp", ping, h).status, 200);
  h = Headers(sid);
  h["Host"] = "evil.example";
  EXPECT_EQ(c.Request("POST", "/mcp", ping, h).status, 403);
  EXPECT_EQ(c.Request("PUT", "/mcp", ping, Headers(sid)).status, 405);
  EXPECT_EQ(c.Request("POST", "/other", ping, Headers(sid)).status, 404);
  auto get = Headers(sid);
  get["Accept"] = "application/json";
  EXPECT_EQ(c.Request("GET", "/mcp", "", get).status, 406);
}

TEST_F(HttpTransportTest, SizeLimits) {
  Start({}, {.max_body_bytes = 64 << 10, .max_header_bytes = 4 << 10});
  HttpClient c(port_);
  const std::string sid = Initialize(c);
  std::string big = R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":")" +
                    std::string(100 << 10, 'x') + "\"}}}";
  EXPECT_EQ(Post(c, sid, big).status, 413);
  c.Connect();
  auto h = Headers(sid);
  h["X-Padding"] = std::string(8 << 10, 'y');
  EXPECT_EQ(c.Request("POST", "/mcp", R"({"jsonrpc":"2.0","id":1,"method":"ping"})", h).status, 431);
  // The server is still up for everyone.
  HttpClient d(port_);
  EXPECT_EQ(Post(d, sid, R"({"jsonrpc":"2.0","id":2,"method":"ping"})").status, 200);
}

TEST_F(HttpTransportTest, ThrowingHandlerLeavesOtherSessionsAlone) {
  Start();
  HttpClient a(port_), b(port_);
  const std::string sa = Initialize(a), sb = Initialize(b);
  auto r = Post(a, sa, R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"throws"}})");
  EXPECT_EQ(r.json().at("error").at("code"), -32603);
  EXPECT_EQ(Post(b, sb, R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"ok"}}})")
                .json().at("result").at("content").at(0).at("text"), "ok");
  EXPECT_EQ(Post(a, sa, R"({"jsonrpc":"2.0","id":2,"method":"ping"})").status, 200);
}

TEST_F(HttpTransportTest, MessagesBeforeResultMakeAnSseResponse) {
  Start();
  HttpClient c(port_);
  const std::string sid = Initialize(c);
  auto r = Post(c, sid, R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"steps"}})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/event-stream");
  // Priming event first (an id, empty data, a retry hint), then the events.
  EXPECT_EQ(r.body.rfind("id: 1-0\nretry: 1000\ndata: \n\n", 0), 0u) << r.body;
  const auto step1 = r.body.find("step 1"), step2 = r.body.find("step 2"), result = r.body.find("stepped");
  ASSERT_NE(step1, std::string::npos);
  ASSERT_NE(step2, std::string::npos);
  ASSERT_NE(result, std::string::npos);
  EXPECT_LT(step1, step2);
  EXPECT_LT(step2, result);
  // The connection is reusable after the stream ends.
  EXPECT_EQ(Post(c, sid, R"({"jsonrpc":"2.0","id":4,"method":"ping"})").status, 200);
}

TEST_F(HttpTransportTest, ResumesAPostStreamWithLastEventId) {
  Start();
  steps_delay_ms_ = 300;
  HttpClient c(port_);
  const std::string sid = Initialize(c);
  std::string seen = c.RequestUntil("POST", R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"steps"}})",
                                    Headers(sid), "step 1");
  ASSERT_NE(seen.find("id: 1-1"), std::string::npos) << seen;
  c.Close();  // vanish mid-stream; the tool keeps running
  HttpClient d(port_);
  auto h = Headers(sid);
  h["Last-Event-ID"] = "1-1";
  std::string resumed = d.RequestUntil("GET", "", h, "stepped", 5s);
  EXPECT_EQ(resumed.find("step 1"), std::string::npos) << resumed;  // not replayed twice
  EXPECT_NE(resumed.find("step 2"), std::string::npos) << resumed;
  EXPECT_NE(resumed.find("stepped"), std::string::npos) << resumed;
}

// SSE polling: the server ends the response mid-call; the client comes back
// with the priming event's id and gets the result.
TEST_F(HttpTransportTest, ClosedStreamDeliversResultOnReconnect) {
  Start();
  HttpClient c(port_);
  const std::string sid = Initialize(c);
  auto r = Post(c, sid, R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"poll"}})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "id: 1-0\nretry: 1000\ndata: \n\n");  // priming only, then the end
  auto h = Headers(sid);
  h["Last-Event-ID"] = "1-0";
  std::string resumed = c.RequestUntil("GET", "", h, "after reconnect", 5s);
  EXPECT_NE(resumed.find("\"id\":5"), std::string::npos) << resumed;
  EXPECT_NE(resumed.find("after reconnect"), std::string::npos) << resumed;
}

TEST_F(HttpTransportTest, StandaloneStreamGetsListChangedAndIsExclusive) {
  Start();
  HttpClient c(port_);
  const std::string sid = Initialize(c);
  auto h = Headers(sid);
  h["Accept"] = "text/event-stream";
  std::string opened = c.RequestUntil("GET", "", h, "retry:");
  ASSERT_NE(opened.find("200 OK"), std::string::npos);
  HttpClient second(port_);
  EXPECT_EQ(second.Request("GET", "/mcp", "", h).status, 409);
  server_->AddTool({.name = "late", .handler = [](Context&, const json::object&) { return ToolResult::Text(""); }});
  std::string more = c.ReadUntil("list_changed", 5s);
  EXPECT_NE(more.find("notifications/tools/list_changed"), std::string::npos) << more;
}

// An idle session (initialize, initialized, JSON answers) has no event store
// and no stream: they are made on first use. A notification sent before the
// first GET makes them and is replayed to that GET; Last-Event-ID resumes the
// standalone stream as before.
TEST_F(HttpTransportTest, SessionStreamsAreMadeOnFirstUse) {
  Start();
  HttpClient c(port_);
  const std::string sid = Initialize(c);
  engine::SessionPtr session = engine::ServerAccess::EngineOf(*server_).FindSession(sid);
  ASSERT_TRUE(session);
  const auto& state = transport::http::StateOf(*session);
  EXPECT_FALSE(state.has_store());
  EXPECT_EQ(Post(c, sid, R"({"jsonrpc":"2.0","id":2,"method":"ping"})").status, 200);
  EXPECT_FALSE(state.has_store());
  // A resumption of a POST stream that never was: an ended stream, nothing made.
  auto h = Headers(sid);
  h["Accept"] = "text/event-stream";
  auto forgotten = h;
  forgotten["Last-Event-ID"] = "1-0";
  HttpResponse ended = c.Request("GET", "/mcp", "", forgotten);
  EXPECT_EQ(ended.status, 200);
  EXPECT_EQ(ended.body, "id: 1-0\nretry: 1000\ndata: \n\n");
  EXPECT_FALSE(state.has_store());

  // list_changed before any GET: kept on the standalone stream.
  server_->AddTool({.name = "late", .handler = [](Context&, const json::object&) { return ToolResult::Text(""); }});
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!state.has_standalone() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(2ms);
  ASSERT_TRUE(state.has_standalone());
  HttpClient get(port_);
  std::string first = get.RequestUntil("GET", "", h, "list_changed");
  EXPECT_NE(first.find("200 OK"), std::string::npos) << first;
  EXPECT_NE(first.find("id: 0-0\nretry:"), std::string::npos) << first;  // primed before the replay
  EXPECT_NE(first.find("id: 0-1\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\""),
            std::string::npos)
      << first;
  get.Close();

  // Away: the next one is stored, and Last-Event-ID 0-1 replays only it.
  server_->AddTool({.name = "later", .handler = [](Context&, const json::object&) { return ToolResult::Text(""); }});
  // The server saw the first GET go (else the next is a 409).
  const auto gone = std::chrono::steady_clock::now() + 5s;
  while (Metric("mcpx_sse_streams") != 0 && std::chrono::steady_clock::now() < gone) std::this_thread::sleep_for(5ms);
  auto resume = h;
  resume["Last-Event-ID"] = "0-1";
  HttpClient again(port_);
  const std::string resumed = again.RequestUntil("GET", "", resume, "list_changed");
  EXPECT_NE(resumed.find("id: 0-1\nretry:"), std::string::npos) << resumed;
  EXPECT_NE(resumed.find("id: 0-2\nevent: message"), std::string::npos) << resumed;
  EXPECT_EQ(resumed.find("id: 0-1\nevent:"), std::string::npos) << resumed;  // not replayed twice
}

// With several I/O threads each connection lives on one of their contexts: a
// session used from connections on different contexts, timers (on the first
// context) answering calls on others, and a notification crossing to a stream
// on yet another context all work, from parallel clients.
TEST_F(HttpTransportTest, SeveralIoThreadsShareSessions) {
  Start({.io_threads = 3});
  HttpClient init(port_);
  const std::string sid = Initialize(init);
  auto h = Headers(sid);
  h["Accept"] = "text/event-stream";
  HttpClient stream(port_);
  ASSERT_NE(stream.RequestUntil("GET", "", h, "retry:").find("200 OK"), std::string::npos);

  constexpr int kClients = 6;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      HttpClient c(port_);  // one connection each, spread over the contexts
      for (int k = 0; k < 20; ++k) {
        const std::string id = std::to_string(i * 100 + k);
        const bool timer = k % 4 == 0;
        auto r = Post(c, sid,
                      timer ? R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":"tools/call","params":{"name":"steps"}})"
                            : R"({"jsonrpc":"2.0","id":)" + id +
                                  R"(,"method":"tools/call","params":{"name":"echo","arguments":{"text":"t)" + id + R"("}}})");
        if (r.status == 200 && r.body.find(timer ? "stepped" : "\"t" + id + "\"") != std::string::npos) ok.fetch_add(1);
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), kClients * 20);
  server_->AddTool({.name = "late", .handler = [](Context&, const json::object&) { return ToolResult::Text(""); }});
  EXPECT_NE(stream.ReadUntil("list_changed", 5s).find("notifications/tools/list_changed"), std::string::npos);
}

TEST_F(HttpTransportTest, VanishedClientsAreCleanedUp) {
  Start();
  steps_delay_ms_ = 200;
  HttpClient c(port_);
  const std::string sid = Initialize(c);
  const std::int64_t base = Metric("mcpx_http_connections");
  {
    // Mid-stream: gone after the first SSE event.
    HttpClient gone(port_);
    gone.RequestUntil("POST", R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"steps"}})",
                      Headers(sid), "step 1");
    gone.Close();
  }
  {
    // Mid-request: gone while the handler runs, before any response byte.
    HttpClient gone(port_);
    gone.SendRaw(HttpClient::Build("POST", "/mcp",
                                   R"({"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"poll_later"}})",
                                   Headers(sid)));
    gone.Close();
  }
  std::int64_t now = -1;
  for (int i = 0; i < 500; ++i) {
    now = Metric("mcpx_http_connections");
    if (now == base) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(now, base);
  EXPECT_EQ(Post(c, sid, R"({"jsonrpc":"2.0","id":10,"method":"ping"})").status, 200);
}

// True when the server ends `c` (end of stream) within `limit`.
bool ClosedWithin(HttpClient& c, std::chrono::milliseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  c.ReadUntil("never sent", limit);  // returns early only at end of stream
  return std::chrono::steady_clock::now() - start < limit;
}

// Connection deadlines are stored per phase and checked by one timer per
// connection: an idle connection is closed, while a connection in steady use
// outlives its idle timeout many times over.
TEST_F(HttpTransportTest, DeadlinesCloseIdleConnectionsButNotBusyOnes) {
  Start({}, {.read_timeout = 10s, .idle_timeout = 300ms, .write_timeout = 10s});
  HttpClient busy(port_);
  const std::string sid = Initialize(busy);
  const std::int64_t base = Metric("mcpx_http_connections");

  HttpClient idle(port_);
  // The busy connection sends a request every 100 ms for 1.2 s: four times
  // its idle timeout, never idle for as long as one.
  for (int i = 0; i < 12; ++i) {
    std::this_thread::sleep_for(100ms);
    ASSERT_EQ(Post(busy, sid, R"({"jsonrpc":"2.0","id":)" + std::to_string(100 + i) + R"(,"method":"ping"})").status,
              200);
  }
  EXPECT_TRUE(ClosedWithin(idle, 5s));
  std::int64_t now = -1;
  for (int i = 0; i < 500 && now != base; ++i) {
    now = Metric("mcpx_http_connections");
    if (now != base) std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(now, base);
}

// Once a request's first bytes arrive, the rest must follow within the read
// timeout, however long the idle timeout: a client dribbling a request
// (slowloris) is cut off. A request that arrives in pieces in time is served.
TEST_F(HttpTransportTest, ARequestMustArriveWithinTheReadTimeout) {
  Start({}, {.read_timeout = 300ms, .idle_timeout = 20s, .write_timeout = 20s});
  HttpClient c(port_);
  const std::string sid = Initialize(c);
  const std::string ping = HttpClient::Build("POST", "/mcp", R"({"jsonrpc":"2.0","id":7,"method":"ping"})",
                                             Headers(sid));
  c.SendRaw(ping.substr(0, 40));
  std::this_thread::sleep_for(50ms);
  c.SendRaw(ping.substr(40));
  EXPECT_EQ(c.Read().status, 200);

  HttpClient stalled(port_);
  stalled.SendRaw("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le");
  EXPECT_TRUE(ClosedWithin(stalled, 5s));
  HttpClient quiet(port_);  // sends nothing: the idle timeout (20 s) applies
  EXPECT_FALSE(ClosedWithin(quiet, 1s));
}

// A head must be complete within the header timeout, however long the read
// timeout: a client dribbling its head is cut off, while one whose head came
// in time may take longer over its body; others are served meanwhile.
TEST_F(HttpTransportTest, AHeadMustArriveWithinTheHeaderTimeout) {
  Start({}, {.read_timeout = 20s, .header_timeout = 300ms, .idle_timeout = 20s, .write_timeout = 20s});
  HttpClient c(port_);
  const std::string sid = Initialize(c);
  const std::string ping = HttpClient::Build("POST", "/mcp", R"({"jsonrpc":"2.0","id":7,"method":"ping"})",
                                             Headers(sid));
  const std::size_t head = ping.find("\r\n\r\n") + 4;
  HttpClient stalled(port_);
  stalled.SendRaw("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le");
  c.SendRaw(ping.substr(0, head));  // the head in time; the body after the header timeout
  std::this_thread::sleep_for(500ms);
  c.SendRaw(ping.substr(head));
  EXPECT_EQ(c.Read().status, 200);
  EXPECT_TRUE(ClosedWithin(stalled, 5s));
}

TEST_F(HttpTransportTest, SessionCapAnswers503WithRetryAfter) {
  Start({.max_sessions = 2});
  HttpClient c(port_);
  Initialize(c);
  Initialize(c);
  auto r = c.Request("POST", "/mcp", kInit, Headers());
  EXPECT_EQ(r.status, 503);
  EXPECT_FALSE(r.header("retry-after").empty());
  EXPECT_EQ(r.json().at("error").at("code"), -32000);
}

TEST_F(HttpTransportTest, ExpiredSessionIs404) {
  Start({.session_idle_timeout = 100ms, .init_timeout = 100ms});
  HttpClient c(port_);
  const std::string sid = Initialize(c);
  int status = 0;
  for (int i = 0; i < 300 && status != 404; ++i) {
    std::this_thread::sleep_for(20ms);
    // GET /healthz does not touch the session, so it can go idle.
    c.Request("GET", "/healthz", "", {});
    if (server_->session_count() == 0) status = Post(c, sid, R"({"jsonrpc":"2.0","id":1,"method":"ping"})").status;
  }
  EXPECT_EQ(status, 404);
}

TEST_F(HttpTransportTest, HealthAndMetrics) {
  Start();
  HttpClient c(port_);
  EXPECT_EQ(c.Request("GET", "/healthz", "", {}).body, "ok\n");
  Initialize(c);
  auto m = c.Request("GET", "/metrics", "", {});
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("mcpx_sessions_active 1"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("mcpx_requests_total{method=\"initialize\",outcome=\"ok\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace mcpx
