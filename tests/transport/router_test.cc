// The HTTP endpoint's header and routing decisions, without sockets: each
// test builds a request head, asks the router, and checks the answer.
#include "transport/http/router.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "mcpx/server.h"
#include "protocol/jsonrpc.h"

namespace mcpx::transport::http {
namespace {

using beast_http::status;
using beast_http::verb;

constexpr std::string_view kInitialize =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
    R"("capabilities":{},"clientInfo":{"name":"router-test","version":"1"}}})";
constexpr std::string_view kPing = R"({"jsonrpc":"2.0","id":7,"method":"ping"})";

class RouterTest : public ::testing::Test {
 protected:
  RouterTest()
      : server_({.name = "router-test"}),
        shared_(engine::Port(server_), HttpOptions{}, HostPolicy("127.0.0.1", 8080, {}, {})) {}

  static Request Head(verb method, std::string target = "/mcp") {
    Request r;
    r.method = method;
    r.target = std::move(target);
    r.headers.host = "127.0.0.1:8080";
    r.headers.accept = "application/json, text/event-stream";
    r.headers.content_type = "application/json";
    return r;
  }

  // AdmitPost of `body` with `headers`: the answer, when refused.
  std::variant<Answer, Admitted> Post(std::string_view body, const RequestHeaders& headers) {
    return AdmitPost(protocol::Parse(body), headers, shared_);
  }

  // Opens a session through the router; returns its id.
  std::string Initialize() {
    auto admitted = Post(kInitialize, Head(verb::post).headers);
    EXPECT_TRUE(std::holds_alternative<Admitted>(admitted));
    Answer answer = InitializedAnswer(std::get<Admitted>(admitted));
    EXPECT_EQ(answer.status, status::ok);
    const auto at = answer.headers.find("Mcp-Session-Id: ");
    EXPECT_NE(at, std::string::npos);
    return answer.headers.substr(at + 16, 32);
  }

  static int ErrorCode(const Answer& a) {
    auto parsed = protocol::Parse(a.body);
    if (!parsed.message) return 0;
    return static_cast<int>(parsed.message->error.at("code").as_int64());
  }

  Server server_;
  HttpShared shared_;
};

TEST_F(RouterTest, RoutesByHostPathAndMethod) {
  Answer a;
  Request r = Head(verb::post);
  EXPECT_EQ(RouteRequest(r, shared_, a), Route::kPost);
  EXPECT_EQ(RouteRequest(Head(verb::get), shared_, a), Route::kGet);
  EXPECT_EQ(RouteRequest(Head(verb::delete_), shared_, a), Route::kDelete);

  r.headers.host = "evil.example:8080";  // DNS rebinding
  ASSERT_EQ(RouteRequest(r, shared_, a), Route::kAnswered);
  EXPECT_EQ(a.status, status::forbidden);

  r = Head(verb::post);
  r.headers.origin = "http://evil.example";
  ASSERT_EQ(RouteRequest(r, shared_, a), Route::kAnswered);
  EXPECT_EQ(a.status, status::forbidden);

  ASSERT_EQ(RouteRequest(Head(verb::post, "/other"), shared_, a), Route::kAnswered);
  EXPECT_EQ(a.status, status::not_found);

  ASSERT_EQ(RouteRequest(Head(verb::put), shared_, a), Route::kAnswered);
  EXPECT_EQ(a.status, status::method_not_allowed);
  EXPECT_EQ(a.headers, "Allow: GET, POST, DELETE\r\n");

  ASSERT_EQ(RouteRequest(Head(verb::get, "/healthz?probe=1"), shared_, a), Route::kAnswered);
  EXPECT_EQ(a.status, status::ok);
  EXPECT_EQ(a.body, "ok\n");
}

TEST_F(RouterTest, OffLoopbackMetricsAndHealthNeedTheMetricsToken) {
  auto get = [](HttpShared& shared, std::string target, std::string authorization = "") {
    Request r = Head(verb::get, std::move(target));
    r.headers.authorization = std::move(authorization);
    Answer a;
    EXPECT_EQ(RouteRequest(r, shared, a), Route::kAnswered);
    return a.status;
  };
  // Bound elsewhere than loopback, no token: neither is served.
  HttpShared bare(engine::Port(server_), HttpOptions{}, HostPolicy("127.0.0.1", 8080, {}, {}));
  bare.loopback_bind = false;
  EXPECT_EQ(get(bare, "/metrics"), status::not_found);
  EXPECT_EQ(get(bare, "/healthz"), status::not_found);
  // With a token: served to it only.
  HttpOptions with_token;
  with_token.metrics_token = "m-token";
  HttpShared guarded(engine::Port(server_), with_token, HostPolicy("127.0.0.1", 8080, {}, {}));
  guarded.loopback_bind = false;
  EXPECT_EQ(get(guarded, "/healthz"), status::unauthorized);
  EXPECT_EQ(get(guarded, "/metrics", "Bearer wrong"), status::unauthorized);
  EXPECT_EQ(get(guarded, "/healthz", "Bearer m-token"), status::ok);
  EXPECT_EQ(get(guarded, "/metrics", "Bearer m-token"), status::ok);
  // On loopback a liveness probe needs no token; the metrics still do.
  guarded.loopback_bind = true;
  EXPECT_EQ(get(guarded, "/healthz"), status::ok);
  EXPECT_EQ(get(guarded, "/metrics"), status::unauthorized);
}

TEST_F(RouterTest, AnOperationsListenerServesNoMcp) {
  HttpOptions options;
  options.serve_mcp = false;
  HttpShared ops(engine::Port(server_), options, HostPolicy("127.0.0.1", 8080, {}, {}));
  Answer a;
  ASSERT_EQ(RouteRequest(Head(verb::post), ops, a), Route::kAnswered);
  EXPECT_EQ(a.status, status::not_found);
  ASSERT_EQ(RouteRequest(Head(verb::get, "/healthz"), ops, a), Route::kAnswered);
  EXPECT_EQ(a.status, status::ok);
  ASSERT_EQ(RouteRequest(Head(verb::get, "/metrics"), ops, a), Route::kAnswered);
  EXPECT_EQ(a.status, status::ok);
  EXPECT_NE(a.body.find("mcpx_sessions_active"), std::string::npos);
}

TEST_F(RouterTest, PostNeedsBothMediaTypesAndJson) {
  RequestHeaders h = Head(verb::post).headers;
  EXPECT_FALSE(CheckPost(h).has_value());
  h.accept = "application/json";
  ASSERT_TRUE(CheckPost(h).has_value());
  EXPECT_EQ(CheckPost(h)->status, status::not_acceptable);
  h = Head(verb::post).headers;
  h.content_type = "text/plain";
  ASSERT_TRUE(CheckPost(h).has_value());
  EXPECT_EQ(CheckPost(h)->status, status::unsupported_media_type);
}

TEST_F(RouterTest, InitializeOpensASessionAndNamesIt) {
  const std::string id = Initialize();
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(server_.session_count(), 1u);

  // initialize naming a session is refused, with the request's id echoed.
  RequestHeaders h = Head(verb::post).headers;
  h.session_id = id;
  auto again = Post(kInitialize, h);
  ASSERT_TRUE(std::holds_alternative<Answer>(again));
  EXPECT_EQ(std::get<Answer>(again).status, status::bad_request);
  EXPECT_NE(std::get<Answer>(again).body.find(R"("id":1)"), std::string::npos);

  auto bad = Post(R"({"jsonrpc":"2.0","id":2,"method":"initialize","params":{}})", Head(verb::post).headers);
  ASSERT_TRUE(std::holds_alternative<Answer>(bad));
  EXPECT_EQ(std::get<Answer>(bad).status, status::bad_request);
  EXPECT_EQ(ErrorCode(std::get<Answer>(bad)), -32602);
}

TEST_F(RouterTest, RequestsNeedAKnownSessionOfThisTransport) {
  RequestHeaders h = Head(verb::post).headers;
  auto none = Post(kPing, h);
  ASSERT_TRUE(std::holds_alternative<Answer>(none));
  EXPECT_EQ(std::get<Answer>(none).status, status::bad_request);

  h.session_id = "0123456789abcdef0123456789abcdef";
  auto unknown = Post(kPing, h);
  ASSERT_TRUE(std::holds_alternative<Answer>(unknown));
  EXPECT_EQ(std::get<Answer>(unknown).status, status::not_found);

  h.session_id = Initialize();
  auto known = Post(kPing, h);
  ASSERT_TRUE(std::holds_alternative<Admitted>(known));
  EXPECT_EQ(std::get<Admitted>(known).session->id(), h.session_id);
}

// A session opened by another transport of the same server (stdio, or a
// second HTTP listener) is unknown here: the same 404 as any unknown id, on
// every method, so that no transport ever serves another's session state.
TEST_F(RouterTest, AnotherTransportsSessionIsUnknown) {
  engine::Port stdio(server_);
  auto opened = stdio.Admit(*protocol::Parse(kInitialize).message, {.session_optional = true}, nullptr);
  ASSERT_TRUE(opened.admitted());
  RequestHeaders h = Head(verb::post).headers;
  h.session_id = opened.session->id();

  auto post = Post(kPing, h);
  ASSERT_TRUE(std::holds_alternative<Answer>(post));
  EXPECT_EQ(std::get<Answer>(post).status, status::not_found);
  h.accept = "text/event-stream";
  auto get = AdmitGet(h, shared_);
  ASSERT_TRUE(std::holds_alternative<Answer>(get));
  EXPECT_EQ(std::get<Answer>(get).status, status::not_found);
  EXPECT_EQ(Delete(h, shared_).status, status::not_found);
  EXPECT_EQ(server_.session_count(), 1u);  // DELETE did not end it
}

TEST_F(RouterTest, ProtocolVersionHeaderIsChecked) {
  RequestHeaders h = Head(verb::post).headers;
  h.session_id = Initialize();
  h.protocol_version = "1999-01-01";
  auto unsupported = Post(kPing, h);
  ASSERT_TRUE(std::holds_alternative<Answer>(unsupported));
  EXPECT_EQ(std::get<Answer>(unsupported).status, status::bad_request);

  h.protocol_version = "2025-03-26";  // older than negotiated: served
  EXPECT_TRUE(std::holds_alternative<Admitted>(Post(kPing, h)));

  // A 2025-03-26 session may not be asked for 2025-11-25 behaviour.
  auto old = Post(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26"}})",
                  Head(verb::post).headers);
  ASSERT_TRUE(std::holds_alternative<Admitted>(old));
  h.session_id = std::get<Admitted>(old).session->id();
  h.protocol_version = "2025-11-25";
  auto newer = Post(kPing, h);
  ASSERT_TRUE(std::holds_alternative<Answer>(newer));
  EXPECT_EQ(std::get<Answer>(newer).status, status::bad_request);
}

TEST_F(RouterTest, GetPicksTheStandaloneStreamOrTheOneLastEventIdNames) {
  RequestHeaders h = Head(verb::get).headers;
  h.accept = "application/json";
  ASSERT_TRUE(std::holds_alternative<Answer>(AdmitGet(h, shared_)));
  EXPECT_EQ(std::get<Answer>(AdmitGet(h, shared_)).status, status::not_acceptable);

  h.accept = "text/event-stream";
  h.session_id = Initialize();
  auto standalone = AdmitGet(h, shared_);
  ASSERT_TRUE(std::holds_alternative<StreamChoice>(standalone));
  EXPECT_FALSE(std::get<StreamChoice>(standalone).after.has_value());

  h.last_event_id = "not-an-event-id";
  auto malformed = AdmitGet(h, shared_);
  ASSERT_TRUE(std::holds_alternative<Answer>(malformed));
  EXPECT_EQ(std::get<Answer>(malformed).status, status::bad_request);

  h.last_event_id = "9-3";  // a stream long forgotten: an ended one
  auto forgotten = AdmitGet(h, shared_);
  ASSERT_TRUE(std::holds_alternative<StreamChoice>(forgotten));
  EXPECT_EQ(std::get<StreamChoice>(forgotten).after, 3u);
}

TEST_F(RouterTest, DeleteEndsTheSession) {
  RequestHeaders h = Head(verb::delete_).headers;
  h.session_id = Initialize();
  EXPECT_EQ(Delete(h, shared_).status, status::ok);
  EXPECT_EQ(server_.session_count(), 0u);
  EXPECT_EQ(Delete(h, shared_).status, status::not_found);
}

TEST_F(RouterTest, RefusalsMapToStatuses) {
  engine::Admission a;
  a.code = -32000;
  a.message = "x";
  a.refusal = engine::Refusal::kUnavailable;
  const Answer unavailable = RefusalAnswer(a);
  EXPECT_EQ(unavailable.status, status::service_unavailable);
  EXPECT_EQ(unavailable.headers, "Retry-After: 5\r\n");
  a.refusal = engine::Refusal::kUnknownSession;
  EXPECT_EQ(RefusalAnswer(a).status, status::not_found);
  a.refusal = engine::Refusal::kVersionTooNew;
  EXPECT_EQ(RefusalAnswer(a).status, status::bad_request);
}

}  // namespace
}  // namespace mcpx::transport::http
