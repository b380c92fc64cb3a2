// Both revisions on one endpoint at once: several client threads interleave,
// on the same HttpTransport (and each on one keep-alive connection),
// 2025-11-25 session traffic (initialize, notifications/initialized,
// tools/call, resources/read, DELETE) with 2026-07-28 stateless requests
// (server/discover, tools/call, resources/read, and both rounds of a
// multi-round tool). Every answer must have its own revision's shape, and no
// session may be left behind. Labelled "concurrency": also run under TSan.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "mcpx/http_transport.h"
#include "mcpx/server.h"
#include "protocol/meta.h"
#include "support/http_client.h"
#include "support/mcp_http.h"

namespace mcpx {
namespace {

using testing::HttpClient;
using testing::HttpResponse;

constexpr std::string_view kModern = "2026-07-28";
constexpr std::string_view kLegacy = "2025-11-25";
constexpr int kThreads = 4;
constexpr int kRequestsPerThread = 200;
constexpr char kResourceUri[] = "mem://hello";
constexpr char kMissingUri[] = "mem://missing";

// What one client thread saw go wrong (checked after the threads join, so
// that no assertion runs off the main thread).
struct Failures {
  std::vector<std::string> list;
  bool Check(bool ok, std::string_view what, const HttpResponse& r) {
    if (!ok && list.size() < 20) {
      std::ostringstream s;
      s << what << ": HTTP " << r.status << " " << r.body.substr(0, 400);
      list.push_back(s.str());
    }
    return ok;
  }
};

// The parsed body, or null when it is not a JSON object.
json::value Parse(const HttpResponse& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  return !ec && v.is_object() ? v : json::value(nullptr);
}

const json::value* Get(const json::value& v, std::string_view key) {
  return v.is_object() ? v.get_object().if_contains(key) : nullptr;
}

bool IsString(const json::value* v, std::string_view s) { return v && v->is_string() && v->get_string() == s; }

// A result of a session request: present, and without resultType.
bool IsSessionResult(const json::value& body, const json::value& id) {
  const json::value* result = Get(body, "result");
  return Get(body, "id") && *Get(body, "id") == id && result && result->is_object() &&
         !result->get_object().contains("resultType");
}

// A result of a stateless request: present, with the given resultType.
bool IsStatelessResult(const json::value& body, const json::value& id, std::string_view type = "complete") {
  const json::value* result = Get(body, "result");
  return Get(body, "id") && *Get(body, "id") == id && result && IsString(Get(*result, "resultType"), type);
}

bool IsError(const json::value& body, const json::value& id, int code) {
  const json::value* error = Get(body, "error");
  return Get(body, "id") && *Get(body, "id") == id && error && Get(*error, "code") && *Get(*error, "code") == code;
}

std::string FirstText(const json::value& body) {
  const json::value* result = Get(body, "result");
  const json::value* content = result ? Get(*result, "content") : nullptr;
  if (!content || !content->is_array() || content->get_array().empty()) return {};
  const json::value* text = Get(content->get_array()[0], "text");
  return text && text->is_string() ? std::string(text->get_string()) : std::string();
}

std::string ResourceText(const json::value& body) {
  const json::value* result = Get(body, "result");
  const json::value* contents = result ? Get(*result, "contents") : nullptr;
  if (!contents || !contents->is_array() || contents->get_array().empty()) return {};
  const json::value* text = Get(contents->get_array()[0], "text");
  return text && text->is_string() ? std::string(text->get_string()) : std::string();
}

class MixedRevisionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>(ServerOptions{.name = "mixed",
                                                     .io_threads = 2,
                                                     .worker_threads = 2,
                                                     .request_state_keys = {"mixed-key"},
                                                     .request_state_audience = "mixed"});
    server_->AddTool({.name = "echo",
                      .input_schema = json::parse(R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})").as_object(),
                      .execution = Execution::kInline,
                      .handler = [](Context& ctx, const json::object& a) {
                        return ToolResult::Text(std::string(a.at("text").as_string()) + "@" +
                                                ctx.protocol_version());
                      }});
    server_->AddTool({.name = "greet",
                      .input_schema = json::parse(R"({"type":"object","properties":{"who":{"type":"string"}}})").as_object(),
                      .handler = [](Context& ctx, const json::object& a) {
                        const json::value answer = ctx.Ask(
                            "user_name",
                            InputRequest::Elicit("What is your name?",
                                                 {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}}));
                        return ToolResult::Text("Hello, " + std::string(answer.at("content").at("name").as_string()) +
                                                " from " + std::string(a.at("who").as_string()));
                      }});
    server_->AddResource({.uri = kResourceUri,
                          .name = "hello",
                          .mime_type = "text/plain",
                          .read = [](Context&, const std::string& uri) {
                            return std::vector<ResourceContents>{{.uri = uri, .mime_type = "text/plain", .text = "hello"}};
                          }});
    server_->Start();
    http_ = std::make_unique<HttpTransport>(*server_, HttpOptions{.port = 0});
    port_ = http_->Listen();
  }
  void TearDown() override {
    http_.reset();
    server_->Stop();
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<HttpTransport> http_;
  unsigned short port_ = 0;
};

// One client thread's traffic on one connection (reconnecting only if the
// server ends it).
class Client {
 public:
  Client(unsigned short port, int thread) : c_(port), thread_(thread) {}

  int requests() const { return requests_; }
  Failures& failures() { return failures_; }

  HttpResponse Send(const std::string& method, const std::string& body, const std::map<std::string, std::string>& h) {
    ++requests_;
    HttpResponse r = c_.Request(method, "/mcp", body, h);
    if (r.header("connection") == "close") c_.Connect();
    return r;
  }

  HttpResponse PostSession(const std::string& sid, const json::value& id, std::string_view method,
                           json::object params) {
    return Send("POST",
                json::serialize(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}}),
                testing::McpHeaders(sid));
  }

  HttpResponse PostStateless(const json::value& id, std::string_view method, json::object params,
                             std::string_view name = "") {
    params["_meta"] = json::object{{protocol::meta::kProtocolVersion, kModern},
                                   {protocol::meta::kClientCapabilities, {{"elicitation", json::object()}}},
                                   {protocol::meta::kClientInfo, {{"name", "mixed"}, {"version", "1"}}}};
    auto h = testing::McpHeaders();
    h["MCP-Protocol-Version"] = std::string(kModern);
    h["Mcp-Method"] = std::string(method);
    if (!name.empty()) h["Mcp-Name"] = std::string(name);
    return Send("POST",
                json::serialize(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}}),
                h);
  }

  // A whole session, with a stateless request in the middle of it on the
  // same connection.
  void SessionRound(int round) {
    const std::string tag = std::to_string(thread_) + "-" + std::to_string(round);
    HttpResponse init = Send("POST", testing::kInitializeBody, testing::McpHeaders());
    const json::value ib = Parse(init);
    const std::string sid = init.header("mcp-session-id");
    if (!failures_.Check(init.status == 200 && !sid.empty() && IsSessionResult(ib, 1) &&
                             IsString(Get(ib.at("result"), "protocolVersion"), kLegacy),
                         "initialize", init)) {
      return;
    }
    HttpResponse initialized =
        Send("POST", R"({"jsonrpc":"2.0","method":"notifications/initialized"})", testing::McpHeaders(sid));
    failures_.Check(initialized.status == 202, "notifications/initialized", initialized);

    HttpResponse discover = PostStateless(json::value(tag), "server/discover", {});
    failures_.Check(discover.status == 200 && discover.header("mcp-session-id").empty() &&
                        IsStatelessResult(Parse(discover), json::value(tag)),
                    "stateless server/discover inside a session's traffic", discover);

    HttpResponse call = PostSession(sid, 2, "tools/call", {{"name", "echo"}, {"arguments", {{"text", tag}}}});
    const json::value cb = Parse(call);
    failures_.Check(call.status == 200 && IsSessionResult(cb, 2) && FirstText(cb) == tag + "@" + std::string(kLegacy),
                    "session tools/call", call);

    HttpResponse read = PostSession(sid, 3, "resources/read", {{"uri", kResourceUri}});
    const json::value rb = Parse(read);
    failures_.Check(read.status == 200 && IsSessionResult(rb, 3) && ResourceText(rb) == "hello",
                    "session resources/read", read);

    HttpResponse missing = PostSession(sid, 4, "resources/read", {{"uri", kMissingUri}});
    failures_.Check(missing.status == 200 && IsError(Parse(missing), 4, -32002), "session resources/read unknown",
                    missing);

    HttpResponse del = Send("DELETE", "", testing::McpHeaders(sid));
    failures_.Check(del.status == 200, "DELETE", del);
    ++sessions_closed_;
  }

  // Stateless requests only, with both rounds of the multi-round tool.
  void StatelessRound(int round) {
    const std::string tag = std::to_string(thread_) + "-" + std::to_string(round);

    HttpResponse discover = PostStateless(1, "server/discover", {});
    const json::value db = Parse(discover);
    const json::value* versions = Get(db, "result") ? Get(db.at("result"), "supportedVersions") : nullptr;
    failures_.Check(discover.status == 200 && IsStatelessResult(db, 1) && versions && versions->is_array() &&
                        !versions->get_array().empty(),
                    "server/discover", discover);

    HttpResponse call = PostStateless(2, "tools/call", {{"name", "echo"}, {"arguments", {{"text", tag}}}}, "echo");
    const json::value cb = Parse(call);
    failures_.Check(call.status == 200 && call.header("mcp-session-id").empty() && IsStatelessResult(cb, 2) &&
                        FirstText(cb) == tag + "@" + std::string(kModern),
                    "stateless tools/call", call);

    HttpResponse missing = PostStateless(3, "resources/read", {{"uri", kMissingUri}}, kMissingUri);
    failures_.Check(IsError(Parse(missing), 3, -32602), "stateless resources/read unknown", missing);

    HttpResponse read = PostStateless(4, "resources/read", {{"uri", kResourceUri}}, kResourceUri);
    const json::value rb = Parse(read);
    failures_.Check(read.status == 200 && IsStatelessResult(rb, 4) && ResourceText(rb) == "hello",
                    "stateless resources/read", read);

    HttpResponse ask = PostStateless(5, "tools/call", {{"name", "greet"}, {"arguments", {{"who", tag}}}}, "greet");
    const json::value ab = Parse(ask);
    const json::value* state = Get(ab, "result") ? Get(ab.at("result"), "requestState") : nullptr;
    if (!failures_.Check(ask.status == 200 && IsStatelessResult(ab, 5, "input_required") && state &&
                             state->is_string() && Get(ab.at("result"), "inputRequests") &&
                             Get(*Get(ab.at("result"), "inputRequests"), "user_name"),
                         "greet round 1", ask)) {
      return;
    }
    const std::string name = "N" + tag;
    HttpResponse answer = PostStateless(
        6, "tools/call",
        {{"name", "greet"},
         {"arguments", {{"who", tag}}},
         {"inputResponses", {{"user_name", {{"action", "accept"}, {"content", {{"name", name}}}}}}},
         {"requestState", *state}},
        "greet");
    const json::value nb = Parse(answer);
    failures_.Check(answer.status == 200 && IsStatelessResult(nb, 6) && FirstText(nb) == "Hello, " + name + " from " + tag,
                    "greet round 2", answer);
  }

  int sessions_closed() const { return sessions_closed_; }

 private:
  HttpClient c_;
  int thread_;
  int requests_ = 0;
  int sessions_closed_ = 0;
  Failures failures_;
};

TEST_F(MixedRevisionsTest, SessionsAndStatelessRequestsInterleave) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int t = 0; t < kThreads; ++t) clients.push_back(std::make_unique<Client>(port_, t));
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Client& client = *clients[t];
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();  // start together
      try {
        // Odd threads begin with a session, even ones with stateless work,
        // so both kinds are in flight from the start.
        for (int round = 0; client.requests() < kRequestsPerThread; ++round) {
          if ((round + t) % 2 == 0) {
            client.SessionRound(round);
          } else {
            client.StatelessRound(round);
          }
        }
      } catch (const std::exception& e) {
        client.failures().list.push_back(std::string("thread threw: ") + e.what());
      }
    });
  }
  for (auto& th : threads) th.join();

  int requests = 0, sessions = 0;
  for (auto& client : clients) {
    requests += client->requests();
    sessions += client->sessions_closed();
    for (const std::string& f : client->failures().list) ADD_FAILURE() << f;
  }
  EXPECT_GE(requests, kThreads * kRequestsPerThread);
  EXPECT_GE(sessions, kThreads * (kRequestsPerThread / 7 / 2));
  EXPECT_EQ(server_->session_count(), 0u);
  EXPECT_TRUE(server_->ListSessions().sessions.empty());
}

}  // namespace
}  // namespace mcpx
