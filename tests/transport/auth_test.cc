// Bearer authentication over HTTP (HttpOptions::auth, issue 10), with keys
// and tokens made in the test: the 401 that starts discovery, the protected
// resource metadata, a session bound to its principal, a tool's scope (403
// and lists), tokens refused for their audience or expiry. The full flow
// with a real authorization server and the SDK clients is e2e.oauth.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "engine/engine.h"
#include "engine/server_access.h"
#include "mcpx/http_transport.h"
#include "mcpx/server.h"
#include "support/http_client.h"
#include "support/mcp_http.h"
#include "test_jose.h"

namespace mcpx {
namespace {

using testing::HttpClient;
using testing::McpHeaders;
namespace jose = auth::testing;

constexpr char kIssuer[] = "https://as.example";

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = jose::NewEcP256Key();
    // ctest runs each test as its own process, in parallel: one file each.
    jwks_path_ = ::testing::TempDir() + "auth_test_jwks_" + std::to_string(::getpid()) + ".json";
    std::ofstream(jwks_path_) << jose::Jwks({jose::PublicJwk(key_.get(), "k1")});
    server_ = std::make_unique<Server>(ServerOptions{.worker_threads = 2});
    now_s_ = 1'900'000'000;
    engine::ServerAccess::EngineOf(*server_).SetWallClockForTesting([this] { return now_s_ * 1000; });
    server_->AddTool({.name = "open",
                      .execution = Execution::kInline,
                      .handler = [](Context&, const json::object&) { return ToolResult::Text("ok"); }});
    server_->AddTool({.name = "whoami",
                    .execution = Execution::kInline,
                    .handler = [](Context& ctx, const json::object&) {
                      return ToolResult::Text(std::string(ctx.principal()) +
                                              (ctx.HasScope("mcp:admin") ? " admin" : " plain"));
                    }});
    server_->AddTool({.name = "admin",
                      .execution = Execution::kInline,
                      .handler = [](Context&, const json::object&) { return ToolResult::Text("admin ok"); },
                      .scopes = {"mcp:admin"}});
    server_->Start();
    http_ = std::make_unique<HttpTransport>(
        *server_, HttpOptions{.port = 0, .auth = AuthOptions{.issuer = kIssuer, .jwks_file = jwks_path_}});
    port_ = http_->Listen();
    resource_ = "http://127.0.0.1:" + std::to_string(port_) + "/mcp";
  }
  void TearDown() override {
    http_.reset();
    server_->Stop();
    std::remove(jwks_path_.c_str());
  }

  std::string Token(std::string_view sub, std::string_view scope, std::string aud = "") {
    return jose::Sign(key_.get(), "ES256", "k1",
                      {{"iss", kIssuer}, {"sub", sub}, {"aud", aud.empty() ? resource_ : aud}, {"scope", scope},
                       {"exp", now_s_ + 300}, {"iat", now_s_}});
  }
  std::map<std::string, std::string> With(const std::string& token, const std::string& session = "") {
    auto h = McpHeaders(session);
    h["Authorization"] = "Bearer " + token;
    return h;
  }
  std::string Initialize(HttpClient& c, const std::string& token) {
    auto r = c.Request("POST", "/mcp", testing::kInitializeBody, With(token));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.header("mcp-session-id");
  }
  // A fresh id per request: a session never reuses one.
  std::string Ping() { return R"({"jsonrpc":"2.0","id":)" + std::to_string(++id_) + R"(,"method":"ping"})"; }
  std::string List() { return R"({"jsonrpc":"2.0","id":)" + std::to_string(++id_) + R"(,"method":"tools/list"})"; }
  std::string Call(std::string_view tool) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(++id_) + R"(,"method":"tools/call","params":{"name":")" +
           std::string(tool) + R"("}})";
  }
  observe::Metrics& metrics() { return engine::ServerAccess::EngineOf(*server_).metrics(); }

  jose::Pkey key_;
  std::string jwks_path_;
  std::int64_t now_s_ = 0;
  std::unique_ptr<Server> server_;
  std::unique_ptr<HttpTransport> http_;
  unsigned short port_ = 0;
  std::string resource_;
  int id_ = 100;
};

TEST_F(AuthTest, WithoutATokenThe401PointsAtTheResourceMetadata) {
  HttpClient c(port_);
  auto r = c.Request("POST", "/mcp", testing::kInitializeBody, McpHeaders());
  EXPECT_EQ(r.status, 401);
  const std::string metadata_url = "http://127.0.0.1:" + std::to_string(port_) + "/.well-known/oauth-protected-resource/mcp";
  EXPECT_EQ(r.header("www-authenticate"), "Bearer resource_metadata=\"" + metadata_url + "\"");
  // Refused on its head, before its body was read: the connection ends.
  EXPECT_EQ(r.header("connection"), "close");
  c.Connect();
  auto m = c.Request("GET", "/.well-known/oauth-protected-resource/mcp", "", {});
  ASSERT_EQ(m.status, 200);
  const json::value doc = m.json();
  EXPECT_EQ(doc.at("resource").as_string(), resource_);
  EXPECT_EQ(doc.at("authorization_servers").at(0), kIssuer);
  EXPECT_EQ(c.Request("GET", "/healthz", "", {}).status, 200);  // not the MCP endpoint
  EXPECT_EQ(metrics().auth_refusals.value(), 1u);
}

TEST_F(AuthTest, TokensForAnotherAudienceOrExpiredAreRefusedAsInvalid) {
  HttpClient c(port_);
  auto r = c.Request("POST", "/mcp", testing::kInitializeBody, With(Token("alice", "", "http://elsewhere/mcp")));
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.header("www-authenticate").find("error=\"invalid_token\""), std::string::npos);
  c.Connect();
  const std::string token = Token("alice", "");
  EXPECT_EQ(c.Request("POST", "/mcp", testing::kInitializeBody, With(token)).status, 200);
  now_s_ += 300 + 61;  // past exp and the leeway: the connection's memo does not save it
  EXPECT_EQ(c.Request("POST", "/mcp", testing::kInitializeBody, With(token)).status, 401);
}

TEST_F(AuthTest, ASessionAnswersOnlyThePrincipalThatOpenedIt) {
  HttpClient a(port_);
  HttpClient b(port_);
  const std::string alice = Token("alice", "");
  const std::string sid = Initialize(a, alice);
  EXPECT_EQ(a.Request("POST", "/mcp", Ping(), With(Token("alice", "other"), sid)).status, 200);  // a new token, same principal
  const std::string ping = Ping();  // the same request, to compare the answers whole
  auto foreign = b.Request("POST", "/mcp", ping, With(Token("mallory", ""), sid));
  auto unknown = b.Request("POST", "/mcp", ping, With(Token("mallory", ""), "no-such-session"));
  EXPECT_EQ(foreign.status, 404);
  EXPECT_EQ(foreign.body, unknown.body);
  EXPECT_EQ(b.Request("DELETE", "/mcp", "", With(Token("mallory", ""), sid)).status, 404);
  EXPECT_EQ(a.Request("POST", "/mcp", Ping(), With(alice, sid)).status, 200);  // untouched
  EXPECT_EQ(metrics().principal_mismatches.value(), 2u);
}

TEST_F(AuthTest, AToolsScopeIsRequiredAndItIsListedOnlyToThoseWhoHaveIt) {
  HttpClient c(port_);
  const std::string plain = Token("alice", "mcp:tools");
  const std::string sid = Initialize(c, plain);
  auto refused = c.Request("POST", "/mcp", Call("admin"), With(plain, sid));
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.header("www-authenticate").find("error=\"insufficient_scope\", scope=\"mcp:admin\""),
            std::string::npos);
  EXPECT_EQ(c.Request("POST", "/mcp", Call("open"), With(plain, sid)).status, 200);
  const auto names = [&](const std::string& token) {
    std::string out;
    const json::value page = c.Request("POST", "/mcp", List(), With(token, sid)).json();
    for (const auto& t : page.at("result").at("tools").as_array()) {
      out += std::string(t.at("name").as_string()) + " ";
    }
    return out;
  };
  EXPECT_EQ(names(plain), "open whoami ");
  const std::string admin = Token("alice", "mcp:tools mcp:admin");  // step-up: same principal, more scope
  EXPECT_EQ(names(admin), "admin open whoami ");
  // A handler sees who calls, and with which scopes.
  EXPECT_EQ(c.Request("POST", "/mcp", Call("whoami"), With(plain, sid)).json().at("result").at("content").at(0).at("text"),
            "https://as.example alice plain");
  EXPECT_EQ(c.Request("POST", "/mcp", Call("whoami"), With(admin, sid)).json().at("result").at("content").at(0).at("text"),
            "https://as.example alice admin");
  auto allowed = c.Request("POST", "/mcp", Call("admin"), With(admin, sid));
  EXPECT_EQ(allowed.status, 200);
  EXPECT_EQ(metrics().scope_refusals.value(), 1u);
}

TEST_F(AuthTest, PromptsAndResourceTemplatesNeedTheirScopesToo) {
  server_->AddPrompt({.name = "secret_prompt",
                      .handler = [](Context&, const json::object&) { return PromptResult{}; },
                      .scopes = {"mcp:admin"}});
  server_->AddResourceTemplate({.uri_template = "secret://{id}",
                                .name = "secret",
                                .read = [](Context&, const std::string& uri) {
                                  return std::vector<ResourceContents>{{.uri = uri, .text = "s"}};
                                },
                                .scopes = {"mcp:admin"}});
  HttpClient c(port_);
  const std::string plain = Token("alice", "");
  const std::string sid = Initialize(c, plain);
  int id = 10;  // a fresh id per request: a session's ids are never reused
  const auto request = [&](std::string_view method, std::string_view params, const std::string& token) {
    return c.Request("POST", "/mcp",
                     R"({"jsonrpc":"2.0","id":)" + std::to_string(++id) + R"(,"method":")" + std::string(method) +
                         R"(","params":)" +
                         std::string(params) + "}",
                     With(token, sid));
  };
  EXPECT_EQ(request("prompts/get", R"({"name":"secret_prompt"})", plain).status, 403);
  EXPECT_EQ(request("resources/read", R"({"uri":"secret://1"})", plain).status, 403);
  EXPECT_EQ(request("resources/subscribe", R"({"uri":"secret://1"})", plain).status, 403);
  EXPECT_EQ(request("completion/complete",
                    R"({"ref":{"type":"ref/prompt","name":"secret_prompt"},"argument":{"name":"a","value":""}})", plain)
                .status,
            403);
  const auto listed = request("prompts/list", "{}", plain);
  ASSERT_TRUE(listed.json().as_object().contains("result")) << listed.body;
  EXPECT_EQ(listed.json().at("result").at("prompts").as_array().size(), 0u);
  const auto templates = request("resources/templates/list", "{}", plain);
  ASSERT_TRUE(templates.json().as_object().contains("result")) << templates.body;
  EXPECT_EQ(templates.json().at("result").at("resourceTemplates").as_array().size(), 0u);
  // A 2026-07-28 listen stream subscribing to it needs the scope too.
  {
    auto h = With(plain);
    h["MCP-Protocol-Version"] = "2026-07-28";
    h["Mcp-Method"] = "subscriptions/listen";
    const json::object listen{
        {"jsonrpc", "2.0"},
        {"id", ++id},
        {"method", "subscriptions/listen"},
        {"params",
         {{"notifications", {{"resourceSubscriptions", json::array{"secret://1"}}}},
          {"_meta", {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                     {"io.modelcontextprotocol/clientCapabilities", json::object()}}}}}};
    auto refused = c.Request("POST", "/mcp", json::serialize(listen), h);
    EXPECT_EQ(refused.status, 403) << refused.body;
    EXPECT_NE(refused.header("www-authenticate").find("scope=\"mcp:admin\""), std::string::npos);
  }
  const std::string admin = Token("alice", "mcp:admin");
  EXPECT_EQ(request("prompts/get", R"({"name":"secret_prompt"})", admin).status, 200);
  EXPECT_EQ(request("resources/read", R"({"uri":"secret://1"})", admin).status, 200);
  const auto admin_list = request("prompts/list", "{}", admin);
  ASSERT_TRUE(admin_list.json().as_object().contains("result")) << admin_list.body;
  EXPECT_EQ(admin_list.json().at("result").at("prompts").as_array().size(), 1u);
}

TEST_F(AuthTest, ARoundsRequestStateAnswersOnlyThePrincipalItWasIssuedTo) {
  server_->AddTool({.name = "greet",
                    .execution = Execution::kInline,
                    .handler = [](Context& ctx, const json::object&) {
                      const json::value answer = ctx.Ask(
                          "name", InputRequest::Elicit("Your name?", {{"type", "object"}, {"properties", json::object()}}));
                      return ToolResult::Text("hello " + json::serialize(answer.at("content")));
                    }});
  HttpClient c(port_);
  const auto call = [&](const std::string& token, json::object extra) {
    json::object params{{"name", "greet"},
                        {"_meta", {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                                   {"io.modelcontextprotocol/clientCapabilities", {{"elicitation", json::object()}}}}}};
    for (auto& [k, v] : extra) params[k] = v;
    auto h = With(token);
    h["MCP-Protocol-Version"] = "2026-07-28";
    h["Mcp-Method"] = "tools/call";
    h["Mcp-Name"] = "greet";
    return c.Request("POST", "/mcp",
                     json::serialize(json::object{
                         {"jsonrpc", "2.0"}, {"id", ++id_}, {"method", "tools/call"}, {"params", std::move(params)}}),
                     h)
        .json();
  };
  const std::string alice = Token("alice", "");
  const json::value first = call(alice, {});
  ASSERT_EQ(first.at("result").at("resultType"), "input_required") << first;
  const json::value state = first.at("result").at("requestState");
  const json::object answer{{"inputResponses", {{"name", {{"action", "accept"}, {"content", {{"n", "A"}}}}}}},
                            {"requestState", state}};
  const json::value stolen = call(Token("mallory", ""), answer);
  EXPECT_EQ(stolen.at("error").at("message"), "Invalid params: requestState failed verification") << stolen;
  const json::value done = call(alice, answer);
  EXPECT_EQ(done.at("result").at("content").at(0).at("text"), "hello {\"n\":\"A\"}") << done;
}

}  // namespace
}  // namespace mcpx
