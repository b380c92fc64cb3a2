// Multi-round-trip requests (Context::Ask) through a running server and its
// HTTP transport: under 2026-07-28 the input_required result, the retry with
// inputResponses and the sealed requestState (tampering, expiry, binding to
// the tool and its arguments, key rings shared or not between nodes), and the
// client capabilities a question needs; under 2025-11-25 the same handler's
// question as a server-to-client request on the POST's SSE stream.
//
// Time is the engine's wall clock, driven by the test
// (Engine::SetWallClockForTesting): nothing here sleeps.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/server_access.h"
#include "mcpx/http_transport.h"
#include "mcpx/server.h"
#include "protocol/meta.h"
#include "support/http_client.h"
#include "support/mcp_http.h"

namespace mcpx {
namespace {

using namespace std::chrono_literals;
using testing::HttpClient;
using testing::HttpResponse;

constexpr std::string_view kModern = "2026-07-28";
constexpr int kInvalidParams = -32602;
constexpr int kMissingCapability = -32021;
constexpr std::int64_t kT0 = 1'800'000'000'000;  // ms since the epoch, 2027
constexpr auto kTtl = std::chrono::milliseconds(10min);

// --- Handlers --------------------------------------------------------------------

json::object NameSchema() {
  return {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}, {"required", json::array{"name"}}};
}

json::object ConfirmSchema() {
  return {{"type", "object"}, {"properties", {{"ok", {{"type", "boolean"}}}}}, {"required", json::array{"ok"}}};
}

// The accepted elicitation's content field, or "".
std::string Field(const json::value& answer, std::string_view key) {
  const json::value* content = answer.is_object() ? answer.get_object().if_contains("content") : nullptr;
  const json::value* v = content && content->is_object() ? content->get_object().if_contains(key) : nullptr;
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

ToolResult Greet(Context& ctx, const json::object& args) {
  const std::string name = Field(ctx.Ask("user_name", InputRequest::Elicit("What is your name?", NameSchema())), "name");
  const json::value* greeting = args.if_contains("greeting");
  return ToolResult::Text((greeting && greeting->is_string() ? std::string(greeting->get_string()) : "Hello") +
                          ", " + name + "!");
}

void Register(Server& server) {
  const json::object greet_schema = {{"type", "object"}, {"properties", {{"greeting", {{"type", "string"}}}}}};
  server.AddTool({.name = "greet", .input_schema = greet_schema, .handler = Greet});
  server.AddTool({.name = "greet_too", .input_schema = greet_schema, .handler = Greet});
  server.AddTool({.name = "two_step", .handler = [](Context& ctx, const json::object&) {
                    const std::string first =
                        Field(ctx.Ask("step1", InputRequest::Elicit("What is your name?", NameSchema())), "name");
                    const json::value second = ctx.Ask("step2", InputRequest::Elicit("Please confirm", ConfirmSchema()));
                    const json::value* ok = second.at("content").as_object().if_contains("ok");
                    return ToolResult::Text("Both steps done for " + first +
                                            (ok && ok->is_bool() && ok->get_bool() ? " (confirmed)" : " (declined)"));
                  }});
  Tool sampling{.name = "needs_sampling", .handler = [](Context&, const json::object&) {
                  return ToolResult::Text("sampling is available");
                }};
  sampling.required_capabilities = {"sampling"};
  server.AddTool(std::move(sampling));
}

// --- A node: a server on loopback with its own wall clock ---------------------------

struct Node {
  explicit Node(ServerOptions options) {
    options.worker_threads = 2;
    server = std::make_unique<Server>(std::move(options));
    Register(*server);
    // Before Start(): the clock is read on worker threads.
    engine::ServerAccess::EngineOf(*server).SetWallClockForTesting(
        [clock = wall_ms] { return clock->load(std::memory_order_relaxed); });
    server->Start();
    http = std::make_unique<HttpTransport>(*server, HttpOptions{.port = 0});
    port = http->Listen();
  }
  ~Node() {
    http.reset();
    server->Stop();
  }
  void Advance(std::chrono::milliseconds by) { wall_ms->fetch_add(by.count(), std::memory_order_relaxed); }

  std::shared_ptr<std::atomic<std::int64_t>> wall_ms = std::make_shared<std::atomic<std::int64_t>>(kT0);
  std::unique_ptr<Server> server;
  std::unique_ptr<HttpTransport> http;
  unsigned short port = 0;
};

ServerOptions Options(std::vector<std::string> keys = {"key-alpha"}, std::string audience = "input-test") {
  ServerOptions o;
  o.name = "input-test";
  o.request_state_keys = std::move(keys);
  o.request_state_audience = std::move(audience);
  o.request_state_ttl = kTtl;
  return o;
}

// --- 2026-07-28 requests ----------------------------------------------------------

json::object Elicitation() { return {{"elicitation", json::object()}}; }

json::object Accept(json::object content) { return {{"action", "accept"}, {"content", std::move(content)}}; }

// A stateless tools/call of `tool` with the mirrored headers; `extra` adds to
// params (requestState, inputResponses).
HttpResponse CallStateless(unsigned short port, std::string_view tool, json::object arguments = {},
                           json::object extra = {}, json::object capabilities = Elicitation(), int id = 1) {
  json::object params = std::move(extra);
  params["name"] = tool;
  if (!arguments.empty()) params["arguments"] = std::move(arguments);
  params["_meta"] = json::object{{protocol::meta::kProtocolVersion, kModern},
                                 {protocol::meta::kClientCapabilities, std::move(capabilities)}};
  auto headers = testing::McpHeaders();
  headers["MCP-Protocol-Version"] = std::string(kModern);
  headers["Mcp-Method"] = "tools/call";
  headers["Mcp-Name"] = std::string(tool);
  HttpClient c(port);
  return c.Request("POST", "/mcp",
                   json::serialize(json::object{
                       {"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"}, {"params", std::move(params)}}),
                   headers);
}

// A retry: the answers and the state of the previous round.
json::object Retry(json::object responses, std::string_view state) {
  return {{"inputResponses", std::move(responses)}, {"requestState", state}};
}

// The result of a 200 response, or a failure naming what came instead.
::testing::AssertionResult HasResult(const HttpResponse& r, std::string_view result_type) {
  if (r.status != 200) return ::testing::AssertionFailure() << "HTTP " << r.status << ": " << r.body;
  const json::value body = r.json();
  const json::value* result = body.as_object().if_contains("result");
  if (result == nullptr) return ::testing::AssertionFailure() << "no result: " << r.body;
  const json::value* type = result->as_object().if_contains("resultType");
  if (type == nullptr || !type->is_string() || type->get_string() != result_type) {
    return ::testing::AssertionFailure() << "resultType is not " << result_type << ": " << r.body;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult HasError(const HttpResponse& r, int code) {
  const json::value body = json::parse(r.body.empty() ? "null" : r.body);
  const json::value* error = body.is_object() ? body.get_object().if_contains("error") : nullptr;
  if (error == nullptr || error->at("code") != code) {
    return ::testing::AssertionFailure() << "not error " << code << ": HTTP " << r.status << ": " << r.body;
  }
  return ::testing::AssertionSuccess();
}

std::string StateOf(const HttpResponse& r) {
  return std::string(r.json().at("result").at("requestState").as_string());
}

std::string TextOf(const HttpResponse& r) {
  return std::string(r.json().at("result").at("content").at(0).at("text").as_string());
}

class InputTest : public ::testing::Test {
 protected:
  InputTest() : node_(Options()) {}

  // Round 1 of greet: input_required; its requestState.
  std::string FirstRound(Node& node, json::object arguments = {}) {
    const HttpResponse r = CallStateless(node.port, "greet", std::move(arguments));
    EXPECT_TRUE(HasResult(r, "input_required"));
    return r.status == 200 && r.json().at("result").as_object().contains("requestState") ? StateOf(r) : "";
  }

  Node node_;
};

TEST_F(InputTest, OneQuestionIsAnInputRequiredResult) {
  const HttpResponse r = CallStateless(node_.port, "greet");
  ASSERT_TRUE(HasResult(r, "input_required"));
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("mcp-session-id"), "");
  const json::value body = r.json();
  EXPECT_EQ(body.at("id"), 1);
  const json::object& result = body.at("result").as_object();
  const json::object& requests = result.at("inputRequests").as_object();
  ASSERT_EQ(requests.size(), 1u) << r.body;
  EXPECT_EQ(requests.at("user_name").at("method"), "elicitation/create");
  EXPECT_EQ(requests.at("user_name").at("params").at("message"), "What is your name?");
  EXPECT_EQ(requests.at("user_name").at("params").at("requestedSchema"), NameSchema());
  ASSERT_TRUE(result.at("requestState").is_string());
  EXPECT_FALSE(result.at("requestState").as_string().empty());
  EXPECT_FALSE(result.contains("content")) << r.body;
  EXPECT_EQ(node_.server->session_count(), 0u);
}

TEST_F(InputTest, RetryWithTheAnswerCompletes) {
  const std::string state = FirstRound(node_);
  const HttpResponse r =
      CallStateless(node_.port, "greet", {}, Retry({{"user_name", Accept({{"name", "Ada"}})}}, state), Elicitation(), 2);
  ASSERT_TRUE(HasResult(r, "complete"));
  EXPECT_EQ(r.json().at("id"), 2);
  EXPECT_EQ(TextOf(r), "Hello, Ada!");
  EXPECT_FALSE(r.json().at("result").as_object().contains("requestState"));
  EXPECT_FALSE(r.json().at("result").as_object().contains("inputRequests"));
}

// The same state may serve more than one retry (nothing marks it used), and
// the answer is the retry's own.
TEST_F(InputTest, StateIsNotSingleUse) {
  const std::string state = FirstRound(node_);
  const HttpResponse a = CallStateless(node_.port, "greet", {}, Retry({{"user_name", Accept({{"name", "Ada"}})}}, state));
  const HttpResponse b = CallStateless(node_.port, "greet", {}, Retry({{"user_name", Accept({{"name", "Bob"}})}}, state));
  ASSERT_TRUE(HasResult(a, "complete"));
  ASSERT_TRUE(HasResult(b, "complete"));
  EXPECT_EQ(TextOf(a), "Hello, Ada!");
  EXPECT_EQ(TextOf(b), "Hello, Bob!");
}

// An answer that is not a result object is no answer: asked again.
TEST_F(InputTest, NonObjectAnswerIsAskedAgain) {
  const std::string state = FirstRound(node_);
  const HttpResponse r = CallStateless(node_.port, "greet", {}, Retry({{"user_name", "Ada"}}, state));
  ASSERT_TRUE(HasResult(r, "input_required"));
  EXPECT_TRUE(r.json().at("result").at("inputRequests").as_object().contains("user_name")) << r.body;
}

// Round 1 asks step1; round 2 (step1 answered) asks step2 only; round 3
// brings only step2's answer: step1's comes from the round-2 state.
TEST_F(InputTest, TwoQuestionsTakeThreeRounds) {
  const HttpResponse r1 = CallStateless(node_.port, "two_step");
  ASSERT_TRUE(HasResult(r1, "input_required"));
  const json::object asked1 = r1.json().at("result").at("inputRequests").as_object();
  EXPECT_TRUE(asked1.contains("step1"));
  EXPECT_FALSE(asked1.contains("step2")) << r1.body;

  const HttpResponse r2 =
      CallStateless(node_.port, "two_step", {}, Retry({{"step1", Accept({{"name", "Ada"}})}}, StateOf(r1)));
  ASSERT_TRUE(HasResult(r2, "input_required"));
  const json::object asked2 = r2.json().at("result").at("inputRequests").as_object();
  EXPECT_FALSE(asked2.contains("step1")) << r2.body;
  ASSERT_TRUE(asked2.contains("step2")) << r2.body;
  EXPECT_EQ(asked2.at("step2").at("params").at("message"), "Please confirm");
  EXPECT_NE(StateOf(r2), StateOf(r1));

  const HttpResponse r3 =
      CallStateless(node_.port, "two_step", {}, Retry({{"step2", Accept({{"ok", true}})}}, StateOf(r2)));
  ASSERT_TRUE(HasResult(r3, "complete"));
  EXPECT_EQ(TextOf(r3), "Both steps done for Ada (confirmed)");

  // Round 3 with the round-1 state instead knows nothing of step1: asked again.
  const HttpResponse stale =
      CallStateless(node_.port, "two_step", {}, Retry({{"step2", Accept({{"ok", true}})}}, StateOf(r1)));
  ASSERT_TRUE(HasResult(stale, "input_required"));
  EXPECT_TRUE(stale.json().at("result").at("inputRequests").as_object().contains("step1")) << stale.body;
}

TEST_F(InputTest, AllAnswersAtOnceCompleteInOneRetry) {
  const HttpResponse r1 = CallStateless(node_.port, "two_step");
  const HttpResponse r2 = CallStateless(
      node_.port, "two_step", {},
      Retry({{"step1", Accept({{"name", "Ada"}})}, {"step2", Accept({{"ok", false}})}}, StateOf(r1)));
  ASSERT_TRUE(HasResult(r2, "complete"));
  EXPECT_EQ(TextOf(r2), "Both steps done for Ada (declined)");
}

TEST_F(InputTest, TamperedStateIsInvalidParams) {
  const std::string state = FirstRound(node_);
  const json::object answer{{"user_name", Accept({{"name", "Ada"}})}};

  const HttpResponse appended = CallStateless(node_.port, "greet", {}, Retry(answer, state + "-TAMPERED"));
  EXPECT_TRUE(HasError(appended, kInvalidParams));

  std::string flipped = state;
  std::size_t mid = flipped.size() / 2;
  if (flipped[mid] == '.') ++mid;
  flipped[mid] = flipped[mid] == 'A' ? 'B' : 'A';
  const HttpResponse changed = CallStateless(node_.port, "greet", {}, Retry(answer, flipped));
  ASSERT_TRUE(HasError(changed, kInvalidParams));
  EXPECT_NE(changed.json().at("error").at("message").as_string().find("requestState"), std::string::npos)
      << changed.body;

  for (const json::value& bad : {json::value("not a token"), json::value(""), json::value(42), json::value(json::object())}) {
    json::object params = Retry(answer, "");
    params["requestState"] = bad;
    EXPECT_TRUE(HasError(CallStateless(node_.port, "greet", {}, params), kInvalidParams)) << json::serialize(bad);
  }
  // The untouched state still works.
  EXPECT_TRUE(HasResult(CallStateless(node_.port, "greet", {}, Retry(answer, state)), "complete"));
}

TEST_F(InputTest, StateExpiresAfterTheTtl) {
  const json::object answer{{"user_name", Accept({{"name", "Ada"}})}};
  const std::string early = FirstRound(node_);
  node_.Advance(kTtl - 1ms);
  EXPECT_TRUE(HasResult(CallStateless(node_.port, "greet", {}, Retry(answer, early)), "complete"));

  const std::string state = FirstRound(node_);
  node_.Advance(kTtl + 1ms);
  const HttpResponse r = CallStateless(node_.port, "greet", {}, Retry(answer, state));
  ASSERT_TRUE(HasError(r, kInvalidParams));
  EXPECT_NE(r.json().at("error").at("message").as_string().find("expired"), std::string::npos) << r.body;
}

// Each round's state expires a TTL after that round, not after the first.
TEST_F(InputTest, EachRoundRenewsTheExpiry) {
  const HttpResponse r1 = CallStateless(node_.port, "two_step");
  node_.Advance(kTtl - 1ms);
  const HttpResponse r2 =
      CallStateless(node_.port, "two_step", {}, Retry({{"step1", Accept({{"name", "Ada"}})}}, StateOf(r1)));
  ASSERT_TRUE(HasResult(r2, "input_required"));
  node_.Advance(kTtl - 1ms);  // round 1 + 2 TTL - 2 ms: past round 1's expiry, not round 2's
  const HttpResponse r3 =
      CallStateless(node_.port, "two_step", {}, Retry({{"step2", Accept({{"ok", true}})}}, StateOf(r2)));
  ASSERT_TRUE(HasResult(r3, "complete"));
  EXPECT_TRUE(HasError(CallStateless(node_.port, "two_step", {}, Retry({}, StateOf(r1))), kInvalidParams));
}

TEST_F(InputTest, StateIssuedForAnotherToolIsInvalidParams) {
  const std::string state = FirstRound(node_);
  const HttpResponse r =
      CallStateless(node_.port, "greet_too", {}, Retry({{"user_name", Accept({{"name", "Ada"}})}}, state));
  ASSERT_TRUE(HasError(r, kInvalidParams));
  EXPECT_NE(r.json().at("error").at("message").as_string().find("another request"), std::string::npos) << r.body;
}

TEST_F(InputTest, StateIssuedForOtherArgumentsIsInvalidParams) {
  const json::object answer{{"user_name", Accept({{"name", "Ada"}})}};
  const std::string state = FirstRound(node_, {{"greeting", "Hi"}});
  EXPECT_TRUE(HasError(CallStateless(node_.port, "greet", {{"greeting", "Bye"}}, Retry(answer, state)), kInvalidParams));
  EXPECT_TRUE(HasError(CallStateless(node_.port, "greet", {}, Retry(answer, state)), kInvalidParams));
  const HttpResponse same = CallStateless(node_.port, "greet", {{"greeting", "Hi"}}, Retry(answer, state));
  ASSERT_TRUE(HasResult(same, "complete"));
  EXPECT_EQ(TextOf(same), "Hi, Ada!");
  // And the other way round: a state issued without arguments.
  const std::string bare = FirstRound(node_);
  EXPECT_TRUE(HasError(CallStateless(node_.port, "greet", {{"greeting", "Hi"}}, Retry(answer, bare)), kInvalidParams));
}

// The digest is of the arguments, not their spelling: another key order is
// the same call.
TEST_F(InputTest, StateIgnoresTheArgumentsKeyOrder) {
  const json::object answer{{"user_name", Accept({{"name", "Ada"}})}};
  const std::string state = FirstRound(node_, {{"greeting", "Hi"}, {"extra", "1"}});
  const HttpResponse r = CallStateless(node_.port, "greet", {{"extra", "1"}, {"greeting", "Hi"}}, Retry(answer, state));
  ASSERT_TRUE(HasResult(r, "complete")) << r.body;
}

// --- Several nodes ------------------------------------------------------------------

TEST_F(InputTest, StateOfAServerWithOtherKeysIsInvalidParams) {
  Node other(Options({"key-beta"}));
  const std::string state = FirstRound(node_);
  const HttpResponse r =
      CallStateless(other.port, "greet", {}, Retry({{"user_name", Accept({{"name", "Ada"}})}}, state));
  EXPECT_TRUE(HasError(r, kInvalidParams));
}

TEST_F(InputTest, StateOfAServerWithAnotherAudienceIsInvalidParams) {
  Node other(Options({"key-alpha"}, "another-service"));
  const std::string state = FirstRound(node_);
  const HttpResponse r =
      CallStateless(other.port, "greet", {}, Retry({{"user_name", Accept({{"name", "Ada"}})}}, state));
  EXPECT_TRUE(HasError(r, kInvalidParams));
}

// A multi-node deployment: rounds may land on any node sharing the keys and
// the audience.
TEST_F(InputTest, ServersSharingKeysAndAudienceAcceptEachOthersState) {
  Node other(Options());
  const HttpResponse r1 = CallStateless(node_.port, "two_step");
  ASSERT_TRUE(HasResult(r1, "input_required"));
  const HttpResponse r2 =
      CallStateless(other.port, "two_step", {}, Retry({{"step1", Accept({{"name", "Ada"}})}}, StateOf(r1)));
  ASSERT_TRUE(HasResult(r2, "input_required"));
  const HttpResponse r3 =
      CallStateless(node_.port, "two_step", {}, Retry({{"step2", Accept({{"ok", true}})}}, StateOf(r2)));
  ASSERT_TRUE(HasResult(r3, "complete"));
  EXPECT_EQ(TextOf(r3), "Both steps done for Ada (confirmed)");
}

// A node whose ring has a newer key first still opens state sealed under the
// older key, and seals its own with the newer one.
TEST_F(InputTest, RotatedNodeAcceptsStateOfTheOldKey) {
  Node rotated(Options({"key-gamma", "key-alpha"}));
  Node only_old(Options({"key-alpha"}));
  const json::object answer{{"user_name", Accept({{"name", "Ada"}})}};
  EXPECT_TRUE(HasResult(CallStateless(rotated.port, "greet", {}, Retry(answer, FirstRound(node_))), "complete"));
  const std::string sealed_new = FirstRound(rotated);
  EXPECT_TRUE(HasError(CallStateless(only_old.port, "greet", {}, Retry(answer, sealed_new)), kInvalidParams));
}

// Without configured keys each server has its own: state does not cross.
TEST_F(InputTest, GeneratedKeysDoNotCrossServers) {
  Node a(Options({}, ""));
  Node b(Options({}, ""));
  const json::object answer{{"user_name", Accept({{"name", "Ada"}})}};
  EXPECT_TRUE(HasResult(CallStateless(a.port, "greet", {}, Retry(answer, FirstRound(a))), "complete"));
  EXPECT_TRUE(HasError(CallStateless(b.port, "greet", {}, Retry(answer, FirstRound(a))), kInvalidParams));
}

// --- Client capabilities -----------------------------------------------------------------

TEST_F(InputTest, AskingWhatTheClientLacksIsMissingCapability) {
  const HttpResponse r = CallStateless(node_.port, "greet", {}, {}, json::object{{"sampling", json::object()}});
  ASSERT_TRUE(HasError(r, kMissingCapability));
  const json::value error = r.json().at("error");
  EXPECT_EQ(error.at("data").at("requiredCapabilities"), (json::object{{"elicitation", json::object()}})) << r.body;
  EXPECT_EQ(r.json().at("id"), 1);
  ::testing::Test::RecordProperty("ask_missing_capability_http_status", r.status);
}

TEST_F(InputTest, ToolRequiringACapabilityTheClientLacksIs400) {
  const HttpResponse r = CallStateless(node_.port, "needs_sampling");  // declares elicitation only
  EXPECT_EQ(r.status, 400) << r.body;
  ASSERT_TRUE(HasError(r, kMissingCapability));
  EXPECT_EQ(r.json().at("error").at("data").at("requiredCapabilities"), (json::object{{"sampling", json::object()}}))
      << r.body;
  EXPECT_EQ(r.json().at("id"), 1);

  const HttpResponse ok = CallStateless(node_.port, "needs_sampling", {}, {}, json::object{{"sampling", json::object()}});
  ASSERT_TRUE(HasResult(ok, "complete"));
  EXPECT_EQ(TextOf(ok), "sampling is available");
}

// --- 2025-11-25 sessions: the question is a server-to-client request ------------------

// The JSON of every "data:" line of an SSE text (HTTP framing and chunk
// sizes around them are skipped).
std::vector<json::value> SseMessages(const std::string& text) {
  std::vector<json::value> out;
  std::size_t pos = 0;
  while ((pos = text.find("data: ", pos)) != std::string::npos) {
    const std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) break;
    std::string line = text.substr(pos + 6, end - pos - 6);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (!ec && v.is_object()) out.push_back(std::move(v));
    pos = end;
  }
  return out;
}

std::optional<json::value> FindMessage(const std::vector<json::value>& messages, std::string_view key,
                                       const json::value& value) {
  for (const json::value& m : messages) {
    if (const json::value* v = m.as_object().if_contains(key); v && *v == value) return m;
  }
  return std::nullopt;
}

std::string InitializeWith(HttpClient& c, const json::object& capabilities) {
  const std::string body = json::serialize(json::object{
      {"jsonrpc", "2.0"},
      {"id", 1},
      {"method", "initialize"},
      {"params",
       {{"protocolVersion", "2025-11-25"}, {"capabilities", capabilities}, {"clientInfo", {{"name", "t"}, {"version", "1"}}}}}});
  const HttpResponse r = c.Request("POST", "/mcp", body, testing::McpHeaders());
  EXPECT_EQ(r.status, 200) << r.body;
  const std::string sid = r.header("mcp-session-id");
  EXPECT_EQ(c.Request("POST", "/mcp", R"({"jsonrpc":"2.0","method":"notifications/initialized"})",
                      testing::McpHeaders(sid))
                .status,
            202);
  return sid;
}

TEST_F(InputTest, SessionAskGoesToTheClientOnThePostStream) {
  HttpClient c(node_.port);
  const std::string sid = InitializeWith(c, Elicitation());
  const std::string call = R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"greet","arguments":{"greeting":"Hi"}}})";
  const std::string asked = c.RequestUntil("POST", call, testing::McpHeaders(sid), "elicitation/create", 10s);
  ASSERT_NE(asked.find("text/event-stream"), std::string::npos) << asked;
  const auto request = FindMessage(SseMessages(asked), "method", "elicitation/create");
  ASSERT_TRUE(request.has_value()) << asked;
  EXPECT_EQ(request->at("params").at("message"), "What is your name?");
  EXPECT_EQ(request->at("params").at("requestedSchema"), NameSchema());
  const json::value client_request_id = request->at("id");

  HttpClient answer(node_.port);
  const HttpResponse posted = answer.Request(
      "POST", "/mcp",
      json::serialize(json::object{{"jsonrpc", "2.0"}, {"id", client_request_id}, {"result", Accept({{"name", "Ada"}})}}),
      testing::McpHeaders(sid));
  EXPECT_EQ(posted.status, 202) << posted.body;

  const std::string rest = c.ReadUntil("Hi, Ada!", 10s);
  const auto result = FindMessage(SseMessages(rest), "id", 7);
  ASSERT_TRUE(result.has_value()) << rest;
  EXPECT_EQ(result->at("result").at("content").at(0).at("text"), "Hi, Ada!");
  EXPECT_FALSE(result->at("result").as_object().contains("resultType")) << rest;
  EXPECT_FALSE(result->at("result").as_object().contains("inputRequests")) << rest;

  EXPECT_EQ(answer.Request("DELETE", "/mcp", "", testing::McpHeaders(sid)).status, 200);
  EXPECT_EQ(node_.server->session_count(), 0u);
}

// Two questions: two server-to-client requests, one after the other, in one
// call.
TEST_F(InputTest, SessionTwoQuestionsAreTwoClientRequests) {
  HttpClient c(node_.port);
  const std::string sid = InitializeWith(c, Elicitation());
  HttpClient answer(node_.port);
  std::string seen = c.RequestUntil(
      "POST", R"({"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"two_step"}})", testing::McpHeaders(sid),
      "What is your name?", 10s);
  auto first = FindMessage(SseMessages(seen), "method", "elicitation/create");
  ASSERT_TRUE(first.has_value()) << seen;
  EXPECT_EQ(answer
                .Request("POST", "/mcp",
                         json::serialize(json::object{
                             {"jsonrpc", "2.0"}, {"id", first->at("id")}, {"result", Accept({{"name", "Ada"}})}}),
                         testing::McpHeaders(sid))
                .status,
            202);
  seen = c.ReadUntil("Please confirm", 10s);
  auto second = FindMessage(SseMessages(seen), "method", "elicitation/create");
  ASSERT_TRUE(second.has_value()) << seen;
  EXPECT_EQ(second->at("params").at("message"), "Please confirm");
  EXPECT_NE(second->at("id"), first->at("id"));
  EXPECT_EQ(answer
                .Request("POST", "/mcp",
                         json::serialize(json::object{
                             {"jsonrpc", "2.0"}, {"id", second->at("id")}, {"result", Accept({{"ok", true}})}}),
                         testing::McpHeaders(sid))
                .status,
            202);
  seen = c.ReadUntil("Both steps done", 10s);
  const auto result = FindMessage(SseMessages(seen), "id", 8);
  ASSERT_TRUE(result.has_value()) << seen;
  EXPECT_EQ(result->at("result").at("content").at(0).at("text"), "Both steps done for Ada (confirmed)");
}

TEST_F(InputTest, SessionWithoutElicitationIsMissingCapability) {
  HttpClient c(node_.port);
  const std::string sid = InitializeWith(c, json::object());
  const HttpResponse r = c.Request(
      "POST", "/mcp", R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"greet"}})",
      testing::McpHeaders(sid));
  ASSERT_TRUE(HasError(r, kMissingCapability));
  EXPECT_EQ(r.json().at("error").at("data").at("requiredCapabilities"), (json::object{{"elicitation", json::object()}}));
  const HttpResponse s = c.Request(
      "POST", "/mcp", R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"needs_sampling"}})",
      testing::McpHeaders(sid));
  ASSERT_TRUE(HasError(s, kMissingCapability));
  EXPECT_EQ(s.json().at("error").at("data").at("requiredCapabilities"), (json::object{{"sampling", json::object()}}));
}

// A client error answering the question fails the call with the client's code.
TEST_F(InputTest, SessionClientErrorFailsTheCall) {
  HttpClient c(node_.port);
  const std::string sid = InitializeWith(c, Elicitation());
  const std::string asked = c.RequestUntil(
      "POST", R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"greet"}})", testing::McpHeaders(sid),
      "elicitation/create", 10s);
  const auto request = FindMessage(SseMessages(asked), "method", "elicitation/create");
  ASSERT_TRUE(request.has_value()) << asked;
  HttpClient answer(node_.port);
  EXPECT_EQ(answer
                .Request("POST", "/mcp",
                         json::serialize(json::object{{"jsonrpc", "2.0"},
                                                      {"id", request->at("id")},
                                                      {"error", {{"code", -32042}, {"message", "user went away"}}}}),
                         testing::McpHeaders(sid))
                .status,
            202);
  const std::string rest = c.ReadUntil("user went away", 10s);
  const auto result = FindMessage(SseMessages(rest), "id", 9);
  ASSERT_TRUE(result.has_value()) << rest;
  EXPECT_EQ(result->at("error").at("code"), -32042) << rest;
}

}  // namespace
}  // namespace mcpx
