// Bearer authentication by token introspection (AuthOptions::introspection_uri,
// RFC 7662) over HTTP, against a small introspection endpoint run by the
// test: an active token opens a session and is asked about once (then the
// cache and the connection's memo answer); an inactive one is 401; an
// authorization server that does not answer is 503 with Retry-After; a
// request's body waits, unread, for the answer; a revoked token is refused
// once the cache's ttl has passed. The full flow against oidc-provider is
// e2e.oauth_introspection.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "auth/introspector.h"
#include "engine/engine.h"
#include "engine/server_access.h"
#include "mcpx/http_transport.h"
#include "mcpx/server.h"
#include "support/http_client.h"
#include "support/mcp_http.h"

namespace mcpx {
namespace {

using testing::HttpClient;
using testing::McpHeaders;
namespace beast_http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

constexpr char kIssuer[] = "https://as.example";
constexpr char kClientId[] = "mcp-resource-server";
constexpr char kClientSecret[] = "s3cret";

// An introspection endpoint on loopback: POST token=<t> is answered with the
// JSON set for <t> ({"active":false} when none). Counts the calls, and checks
// the resource server's credentials.
class FakeIntrospectionEndpoint {
 public:
  FakeIntrospectionEndpoint() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeIntrospectionEndpoint() { Stop(); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/introspect"; }
  void Answer(const std::string& token, json::object answer) {
    std::lock_guard<std::mutex> lock(mu_);
    answers_[token] = json::serialize(answer);
  }
  int calls() const { return calls_.load(); }
  // Hold: calls are read but not answered until Release (a hung server).
  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = true;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      held_ = false;
    }
    released_.notify_all();
  }
  int bad_credentials() const { return bad_credentials_.load(); }
  // From now on connections are refused.
  void Stop() {
    if (stopping_.exchange(true)) return;
    Release();
    boost::system::error_code ignored;
    tcp::socket wake(io_);
    wake.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ignored);  // ends the blocking accept
    thread_.join();
  }

 private:
  void Serve() {
    for (;;) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (stopping_.load()) break;
      if (ec) continue;
      boost::beast::flat_buffer buffer;
      beast_http::request<beast_http::string_body> request;
      beast_http::read(socket, buffer, request, ec);
      if (ec) continue;
      ++calls_;
      if (request[beast_http::field::authorization] != auth::BasicAuthorization(kClientId, kClientSecret)) {
        ++bad_credentials_;
      }
      const std::string& body = request.body();
      const std::string token = body.rfind("token=", 0) == 0 ? body.substr(6, body.find('&') - 6) : "";
      beast_http::response<beast_http::string_body> response{beast_http::status::ok, 11};
      response.set(beast_http::field::content_type, "application/json");
      {
        std::unique_lock<std::mutex> lock(mu_);
        released_.wait(lock, [this] { return !held_; });
        auto it = answers_.find(token);
        response.body() = it == answers_.end() ? R"({"active":false})" : it->second;
      }
      response.prepare_payload();
      beast_http::write(socket, response, ec);
    }
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }

  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> calls_{0};
  std::atomic<int> bad_credentials_{0};
  std::mutex mu_;
  std::condition_variable released_;
  bool held_ = false;
  std::map<std::string, std::string> answers_;
};

class IntrospectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One worker: an introspection call that held it would stall every tool.
    server_ = std::make_unique<Server>(ServerOptions{.worker_threads = 1});
    now_s_ = 1'900'000'000;
    engine::ServerAccess::EngineOf(*server_).SetWallClockForTesting([this] { return now_s_.load() * 1000; });
    server_->AddTool({.name = "whoami",
                      .execution = Execution::kInline,
                      .handler = [](Context& ctx, const json::object&) {
                        return ToolResult::Text(std::string(ctx.principal()));
                      }});
    server_->AddTool({.name = "pooled",
                      .handler = [](Context&, const json::object&) { return ToolResult::Text("pooled ok"); }});
    server_->AddTool({.name = "size",
                      .execution = Execution::kInline,
                      .handler = [](Context&, const json::object& args) {
                        return ToolResult::Text(std::to_string(args.at("text").as_string().size()));
                      }});
    server_->Start();
    AuthOptions auth{.issuer = kIssuer,
                     .introspection_uri = as_.url(),
                     .client_id = kClientId,
                     .client_secret = kClientSecret};
    http_ = std::make_unique<HttpTransport>(*server_, HttpOptions{.port = 0, .auth = auth});
    port_ = http_->Listen();
    resource_ = "http://127.0.0.1:" + std::to_string(port_) + "/mcp";
  }
  void TearDown() override {
    http_.reset();
    server_->Stop();
  }

  json::object Active(const std::string& sub) const {
    return {{"active", true}, {"iss", kIssuer},           {"sub", sub},
            {"aud", resource_}, {"exp", now_s_.load() + 3600}, {"client_id", "c"}};
  }
  observe::Metrics& metrics() { return engine::ServerAccess::EngineOf(*server_).metrics(); }
  std::map<std::string, std::string> With(const std::string& token, const std::string& session = "") {
    auto h = McpHeaders(session);
    h["Authorization"] = "Bearer " + token;
    return h;
  }
  // Initializes a session with `token`; its id.
  std::string Open(HttpClient& c, const std::string& token) {
    auto init = c.Request("POST", "/mcp", testing::kInitializeBody, With(token));
    EXPECT_EQ(init.status, 200) << init.body;
    return init.header("mcp-session-id");
  }
  std::string Call(std::string_view tool, const std::string& arguments = "{}") {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(++id_) + R"(,"method":"tools/call","params":{"name":")" +
           std::string(tool) + R"(","arguments":)" + arguments + "}}";
  }

  FakeIntrospectionEndpoint as_;
  std::atomic<std::int64_t> now_s_{0};
  std::unique_ptr<Server> server_;
  std::unique_ptr<HttpTransport> http_;
  unsigned short port_ = 0;
  std::string resource_;
  int id_ = 100;
};

TEST_F(IntrospectionTest, AnActiveTokenIsAskedAboutOnce) {
  as_.Answer("opaque-alice", Active("alice"));
  HttpClient a(port_);
  const std::string sid = Open(a, "opaque-alice");
  auto who = a.Request("POST", "/mcp", Call("whoami"), With("opaque-alice", sid));
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_NE(who.body.find(std::string(kIssuer) + " alice"), std::string::npos) << who.body;
  // Another connection with the same token: the cache answers.
  HttpClient b(port_);
  EXPECT_EQ(b.Request("POST", "/mcp", Call("whoami"), With("opaque-alice", sid)).status, 200);
  EXPECT_EQ(as_.calls(), 1);
  EXPECT_EQ(as_.bad_credentials(), 0);
  EXPECT_EQ(metrics().introspection_waits.value(), 1u);
  EXPECT_EQ(metrics().introspection_unavailable.value(), 0u);
}

TEST_F(IntrospectionTest, AnInactiveTokenIsRefusedAsInvalid) {
  HttpClient c(port_);
  auto r = c.Request("POST", "/mcp", testing::kInitializeBody, With("opaque-unknown"));
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.header("www-authenticate").find("error=\"invalid_token\""), std::string::npos);
  EXPECT_EQ(r.header("connection"), "close");  // refused on its head
  // Active, but for another resource: the same.
  json::object elsewhere = Active("bob");
  elsewhere["aud"] = "https://elsewhere.example/mcp";
  as_.Answer("opaque-bob", elsewhere);
  c.Connect();
  EXPECT_EQ(c.Request("POST", "/mcp", testing::kInitializeBody, With("opaque-bob")).status, 401);
}

TEST_F(IntrospectionTest, AnAuthorizationServerThatDoesNotAnswerIs503) {
  as_.Stop();
  HttpClient c(port_);
  auto r = c.Request("POST", "/mcp", testing::kInitializeBody, With("opaque-carol"));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.header("retry-after"), "5");
  EXPECT_EQ(r.header("www-authenticate"), "");  // nothing is wrong with the token as far as we know
  EXPECT_EQ(metrics().introspection_unavailable.value(), 1u);
}

TEST_F(IntrospectionTest, AHungAuthorizationServerStallsNoToolCall) {
  as_.Answer("opaque-gina", Active("gina"));
  HttpClient a(port_);
  const std::string sid = Open(a, "opaque-gina");
  // Another client's new token: its introspection call hangs.
  as_.Hold();
  HttpClient b(port_);
  b.SendRaw(HttpClient::Build("POST", "/mcp", testing::kInitializeBody, With("opaque-hank")));
  while (as_.calls() < 2) std::this_thread::yield();
  // Meanwhile a tool on the (only) worker runs for the first client, while
  // the call still hangs (a call on that worker would hold it until the
  // fetch's 5 s deadline).
  const std::string pooled = a.RequestUntil("POST", Call("pooled"), With("opaque-gina", sid), "pooled ok",
                                            std::chrono::seconds(4));
  EXPECT_NE(pooled.find("pooled ok"), std::string::npos) << pooled;
  as_.Release();
  EXPECT_EQ(b.Read().status, 401);  // hank's token was never made active
}

TEST_F(IntrospectionTest, ABodyWaitsUnreadForTheAnswer) {
  as_.Answer("opaque-dave", Active("dave"));
  HttpClient c(port_);
  const std::string sid = Open(c, "opaque-dave");
  // A new token on the same connection (not in its memo, not cached), with a
  // body larger than one read: the rest is read once the answer is in.
  as_.Answer("opaque-dave-2", Active("dave"));
  const std::string text(512 * 1024, 'x');
  auto r = c.Request("POST", "/mcp", Call("size", R"({"text":")" + text + R"("})"), With("opaque-dave-2", sid));
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 200);
  EXPECT_NE(r.body.find(std::to_string(text.size())), std::string::npos) << r.body.substr(0, 200);
  EXPECT_EQ(as_.calls(), 2);
}

TEST_F(IntrospectionTest, WithoutKeysAJwtShapedTokenIsIntrospectedToo) {
  as_.Answer("header.payload.signature", Active("erin"));
  HttpClient c(port_);
  EXPECT_EQ(c.Request("POST", "/mcp", testing::kInitializeBody, With("header.payload.signature")).status, 200);
  EXPECT_EQ(as_.calls(), 1);
}

TEST_F(IntrospectionTest, ARevokedTokenIsRefusedOnceTheCacheTtlHasPassed) {
  as_.Answer("opaque-frank", Active("frank"));
  HttpClient c(port_);
  const std::string sid = Open(c, "opaque-frank");
  as_.Answer("opaque-frank", json::object{{"active", false}});  // revoked at the authorization server
  now_s_ += 30;  // within the ttl (60 s): the cache still says active
  EXPECT_EQ(c.Request("POST", "/mcp", Call("whoami"), With("opaque-frank", sid)).status, 200);
  EXPECT_EQ(as_.calls(), 1);
  now_s_ += 31;  // past it: asked again
  EXPECT_EQ(c.Request("POST", "/mcp", Call("whoami"), With("opaque-frank", sid)).status, 401);
  EXPECT_EQ(as_.calls(), 2);
}

TEST_F(IntrospectionTest, PlainHttpToAnotherHostIsRefusedAtStart) {
  HttpOptions options{.port = 0};
  options.auth = AuthOptions{.issuer = kIssuer,
                             .introspection_uri = "http://as.example/introspect",
                             .client_id = kClientId,
                             .client_secret = kClientSecret};
  HttpTransport http(*server_, options);
  EXPECT_THROW(http.Listen(), std::invalid_argument);
  options.auth->introspection_uri = as_.url();
  options.auth->client_secret.clear();  // and credentials are required
  HttpTransport without_secret(*server_, options);
  EXPECT_THROW(without_secret.Listen(), std::invalid_argument);
}

}  // namespace
}  // namespace mcpx
