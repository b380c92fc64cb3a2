// MCP 2026-07-28 stateless requests on the HTTP endpoint: the admission rules
// (MCP-Protocol-Version against _meta, Mcp-Method, Mcp-Name, Mcp-Param-{Name},
// methods the revision removed) through the router without sockets, then a few
// whole requests over loopback to a running server.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "mcpx/http_transport.h"
#include "mcpx/server.h"
#include "protocol/jsonrpc.h"
#include "protocol/meta.h"
#include "support/http_client.h"
#include "support/mcp_http.h"
#include "transport/http/router.h"

namespace mcpx::transport::http {
namespace {

using beast_http::status;
using Outcome = std::variant<Answer, Admitted>;

constexpr std::string_view kModern = "2026-07-28";
constexpr int kHeaderMismatch = -32020;
constexpr int kUnsupportedVersion = -32022;
constexpr int kInvalidParams = -32602;
constexpr int kMethodNotFound = -32601;

// `params` with the _meta every 2026-07-28 request carries, naming `version`.
json::object Stateless(json::object params = {}, std::string_view version = kModern) {
  params["_meta"] = json::object{{protocol::meta::kProtocolVersion, version},
                                 {protocol::meta::kClientCapabilities, json::object()}};
  return params;
}

std::string Body(const json::value& id, std::string_view method, const json::object& params) {
  return json::serialize(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
}

// The headers of a 2026-07-28 POST: the revision, and the body's method and
// name mirrored (empty: that header absent).
RequestHeaders Headers(std::string_view method, std::string_view name = "", std::string_view version = kModern) {
  RequestHeaders h;
  h.host = "127.0.0.1:8080";
  h.accept = "application/json, text/event-stream";
  h.content_type = "application/json";
  h.protocol_version = version;
  h.mcp_method = method;
  h.mcp_name = name;
  return h;
}

// Whether `outcome` is a refusal with this HTTP status and JSON-RPC error
// code, echoing the request's id.
::testing::AssertionResult IsRefusal(const Outcome& outcome, status st, int code, const json::value& id) {
  if (!std::holds_alternative<Answer>(outcome)) return ::testing::AssertionFailure() << "admitted";
  const Answer& a = std::get<Answer>(outcome);
  const json::value body = json::parse(a.body);
  const json::value* error = body.as_object().if_contains("error");
  if (a.status != st || error == nullptr || error->at("code") != code || body.at("id") != id) {
    return ::testing::AssertionFailure() << "HTTP " << static_cast<unsigned>(a.status) << ": " << a.body;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IsAdmittedStateless(const Outcome& outcome) {
  if (const Answer* a = std::get_if<Answer>(&outcome)) {
    return ::testing::AssertionFailure() << "refused, HTTP " << static_cast<unsigned>(a->status) << ": " << a->body;
  }
  if (std::get<Admitted>(outcome).session) return ::testing::AssertionFailure() << "admitted into a session";
  return ::testing::AssertionSuccess();
}

json::value ErrorOf(const Outcome& outcome) {
  return json::parse(std::get<Answer>(outcome).body).at("error");
}

// --- Admission through the router ----------------------------------------------

class StatelessAdmissionTest : public ::testing::Test {
 protected:
  StatelessAdmissionTest()
      : server_({.name = "stateless-test"}),
        shared_(engine::Port(server_), HttpOptions{}, HostPolicy("127.0.0.1", 8080, {}, {})) {
    // A tool with an argument mirrored into Mcp-Param-Region, and one into
    // Mcp-Param-Count.
    server_.AddTool({.name = "get_weather",
                     .input_schema = json::parse(R"({"type":"object","properties":{
                         "region":{"type":"string","x-mcp-header":"Region"},
                         "count":{"type":"integer","x-mcp-header":"Count"},
                         "units":{"type":"string"}}})")
                                         .as_object(),
                     .handler = [](Context&, const json::object&) { return ToolResult::Text("sunny"); }});
  }

  Outcome Post(const std::string& body, const RequestHeaders& headers) {
    return AdmitPost(protocol::Parse(body), headers, shared_);
  }

  // A tools/call of get_weather with `arguments`, and the headers naming it.
  Outcome CallWeather(const json::object& arguments, RequestHeaders headers) {
    return Post(Body(9, "tools/call", Stateless({{"name", "get_weather"}, {"arguments", arguments}})), headers);
  }

  Server server_;
  HttpShared shared_;
};

TEST_F(StatelessAdmissionTest, AWellFormedRequestIsAdmittedWithoutASession) {
  EXPECT_TRUE(IsAdmittedStateless(Post(Body(1, "tools/list", Stateless()), Headers("tools/list"))));
  EXPECT_EQ(server_.session_count(), 0u);
}

TEST_F(StatelessAdmissionTest, VersionHeaderMissingWhileMetaNamesTheVersion) {
  auto out = Post(Body(1, "tools/list", Stateless()), Headers("tools/list", "", ""));
  EXPECT_TRUE(IsRefusal(out, status::bad_request, kHeaderMismatch, 1));
}

TEST_F(StatelessAdmissionTest, MetaWithoutProtocolVersionIsInvalidParams) {
  json::object params{{"_meta", {{protocol::meta::kClientCapabilities, json::object()}}}};
  auto out = Post(Body(2, "tools/list", params), Headers("tools/list"));
  EXPECT_TRUE(IsRefusal(out, status::bad_request, kInvalidParams, 2));
}

TEST_F(StatelessAdmissionTest, MetaWithoutClientCapabilitiesIsInvalidParams) {
  json::object params{{"_meta", {{protocol::meta::kProtocolVersion, kModern}}}};
  auto out = Post(Body("str-id", "tools/list", params), Headers("tools/list"));
  EXPECT_TRUE(IsRefusal(out, status::bad_request, kInvalidParams, "str-id"));
}

TEST_F(StatelessAdmissionTest, NoMetaAtAllUnderTheModernHeaderIsInvalidParams) {
  auto out = Post(Body(3, "tools/list", json::object()), Headers("tools/list"));
  EXPECT_TRUE(IsRefusal(out, status::bad_request, kInvalidParams, 3));
}

TEST_F(StatelessAdmissionTest, ClientCapabilitiesMustBeAnObject) {
  json::object params{{"_meta", {{protocol::meta::kProtocolVersion, kModern},
                                 {protocol::meta::kClientCapabilities, "all"}}}};
  auto out = Post(Body(4, "tools/list", params), Headers("tools/list"));
  EXPECT_TRUE(IsRefusal(out, status::bad_request, kInvalidParams, 4));
}

TEST_F(StatelessAdmissionTest, MetaVersionDifferentFromTheHeader) {
  auto legacy_meta = Post(Body(5, "tools/list", Stateless({}, "2025-11-25")), Headers("tools/list"));
  EXPECT_TRUE(IsRefusal(legacy_meta, status::bad_request, kHeaderMismatch, 5));
  auto other_meta = Post(Body(6, "tools/list", Stateless({}, "2027-01-01")), Headers("tools/list"));
  EXPECT_TRUE(IsRefusal(other_meta, status::bad_request, kHeaderMismatch, 6));
}

TEST_F(StatelessAdmissionTest, LegacyHeaderWithModernMetaIsAMismatch) {
  auto out = Post(Body(7, "tools/list", Stateless()), Headers("tools/list", "", "2025-11-25"));
  EXPECT_TRUE(IsRefusal(out, status::bad_request, kHeaderMismatch, 7));
}

TEST_F(StatelessAdmissionTest, UnsupportedVersionListsTheSupportedOnes) {
  auto out = Post(Body(8, "tools/list", Stateless({}, "v999.0.0")), Headers("tools/list", "", "v999.0.0"));
  ASSERT_TRUE(IsRefusal(out, status::bad_request, kUnsupportedVersion, 8));
  const json::value error = ErrorOf(out);
  EXPECT_EQ(error.at("data").at("supported"), json::array({"2026-07-28"}));
  EXPECT_EQ(error.at("data").at("requested"), "v999.0.0");
}

TEST_F(StatelessAdmissionTest, McpMethodHeaderMissing) {
  auto out = Post(Body(10, "tools/list", Stateless()), Headers(""));
  EXPECT_TRUE(IsRefusal(out, status::bad_request, kHeaderMismatch, 10));
}

TEST_F(StatelessAdmissionTest, McpMethodHeaderNamingAnotherMethod) {
  auto out = Post(Body(11, "tools/list", Stateless()), Headers("prompts/list"));
  EXPECT_TRUE(IsRefusal(out, status::bad_request, kHeaderMismatch, 11));
}

TEST_F(StatelessAdmissionTest, McpMethodHeaderIsCaseSensitive) {
  auto out = Post(Body(12, "tools/list", Stateless()), Headers("TOOLS/LIST"));
  EXPECT_TRUE(IsRefusal(out, status::bad_request, kHeaderMismatch, 12));
}

TEST_F(StatelessAdmissionTest, ToolsCallWithoutMcpName) {
  auto out = Post(Body(13, "tools/call", Stateless({{"name", "get_weather"}})), Headers("tools/call"));
  EXPECT_TRUE(IsRefusal(out, status::bad_request, kHeaderMismatch, 13));
}

TEST_F(StatelessAdmissionTest, ToolsCallWithAnotherMcpName) {
  auto out = Post(Body(14, "tools/call", Stateless({{"name", "get_weather"}})), Headers("tools/call", "get_news"));
  EXPECT_TRUE(IsRefusal(out, status::bad_request, kHeaderMismatch, 14));
  auto cased = Post(Body(15, "tools/call", Stateless({{"name", "get_weather"}})), Headers("tools/call", "GET_WEATHER"));
  EXPECT_TRUE(IsRefusal(cased, status::bad_request, kHeaderMismatch, 15));
}

TEST_F(StatelessAdmissionTest, ToolsCallWithMcpNamePlainOrBase64) {
  const std::string body = Body(16, "tools/call", Stateless({{"name", "get_weather"}}));
  EXPECT_TRUE(IsAdmittedStateless(Post(body, Headers("tools/call", "get_weather"))));
  EXPECT_TRUE(IsAdmittedStateless(Post(body, Headers("tools/call", "=?base64?Z2V0X3dlYXRoZXI=?="))));
}

TEST_F(StatelessAdmissionTest, McpNameThatIsNotStrictBase64) {
  auto out = Post(Body(17, "tools/call", Stateless({{"name", "get_weather"}})),
                  Headers("tools/call", "=?base64?Z2V0X3dlYXRoZXI?="));
  EXPECT_TRUE(IsRefusal(out, status::bad_request, kHeaderMismatch, 17));
}

TEST_F(StatelessAdmissionTest, McpNameMirrorsTheUriOfResourcesRead) {
  const std::string body = Body(18, "resources/read", Stateless({{"uri", "file:///Zürich.txt"}}));
  // Not header-safe: it travels encoded.
  EXPECT_TRUE(IsAdmittedStateless(Post(body, Headers("resources/read", "=?base64?ZmlsZTovLy9aw7xyaWNoLnR4dA==?="))));
  EXPECT_TRUE(IsRefusal(Post(body, Headers("resources/read", "file:///Zurich.txt")), status::bad_request,
                        kHeaderMismatch, 18));
  EXPECT_TRUE(IsRefusal(Post(body, Headers("resources/read")), status::bad_request, kHeaderMismatch, 18));
}

TEST_F(StatelessAdmissionTest, McpNameMirrorsThePromptOfPromptsGet) {
  const std::string body = Body(19, "prompts/get", Stateless({{"name", "summary"}}));
  EXPECT_TRUE(IsAdmittedStateless(Post(body, Headers("prompts/get", "summary"))));
  EXPECT_TRUE(IsRefusal(Post(body, Headers("prompts/get")), status::bad_request, kHeaderMismatch, 19));
}

TEST_F(StatelessAdmissionTest, MethodsRemovedIn2026AreNotFound) {
  int id = 20;
  for (std::string_view method :
       {"initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe", "unknown/method"}) {
    SCOPED_TRACE(method);
    auto out = Post(Body(id, method, Stateless()), Headers(method));
    EXPECT_TRUE(IsRefusal(out, status::not_found, kMethodNotFound, id));
    ++id;
  }
  EXPECT_EQ(server_.session_count(), 0u);  // the stateless initialize opened none
}

TEST_F(StatelessAdmissionTest, ParamHeaderMatchingTheArgumentIsAdmitted) {
  RequestHeaders h = Headers("tools/call", "get_weather");
  h.mcp_params = {{"Region", "us-west"}};
  EXPECT_TRUE(IsAdmittedStateless(CallWeather({{"region", "us-west"}}, h)));
}

TEST_F(StatelessAdmissionTest, ParamHeaderMayBeBase64) {
  RequestHeaders h = Headers("tools/call", "get_weather");
  h.mcp_params = {{"Region", "=?base64?WsO8cmljaA==?="}};
  EXPECT_TRUE(IsAdmittedStateless(CallWeather({{"region", "Zürich"}}, h)));
}

TEST_F(StatelessAdmissionTest, ParamHeaderNameIsCaseInsensitive) {
  for (std::string_view header : {"Mcp-Param-region", "MCP-PARAM-REGION", "mcp-param-Region"}) {
    SCOPED_TRACE(header);
    RequestHeaders h = Headers("tools/call", "get_weather");
    ASSERT_TRUE(RecordHeader(h, boost::beast::http::field::unknown, header, "us-west"));
    EXPECT_TRUE(IsAdmittedStateless(CallWeather({{"region", "us-west"}}, h)));
  }
}

TEST_F(StatelessAdmissionTest, ParamHeaderNotMatchingTheArgument) {
  RequestHeaders h = Headers("tools/call", "get_weather");
  h.mcp_params = {{"Region", "eu-central"}};
  EXPECT_TRUE(IsRefusal(CallWeather({{"region", "us-west"}}, h), status::bad_request, kHeaderMismatch, 9));
}

TEST_F(StatelessAdmissionTest, ParamHeaderThatIsNotStrictBase64) {
  RequestHeaders h = Headers("tools/call", "get_weather");
  h.mcp_params = {{"Region", "=?base64?dXMtd2VzdA?="}};  // "us-west", padding dropped
  EXPECT_TRUE(IsRefusal(CallWeather({{"region", "us-west"}}, h), status::bad_request, kHeaderMismatch, 9));
}

TEST_F(StatelessAdmissionTest, ParamHeaderOmittedWhileTheBodyHasTheValue) {
  EXPECT_TRUE(IsRefusal(CallWeather({{"region", "us-west"}}, Headers("tools/call", "get_weather")),
                        status::bad_request, kHeaderMismatch, 9));
}

TEST_F(StatelessAdmissionTest, ParamHeaderOfAnIntegerComparesNumerically) {
  RequestHeaders h = Headers("tools/call", "get_weather");
  h.mcp_params = {{"Count", "3"}};
  EXPECT_TRUE(IsAdmittedStateless(CallWeather({{"count", 3}}, h)));
  h.mcp_params = {{"Count", "3.0"}};
  EXPECT_TRUE(IsAdmittedStateless(CallWeather({{"count", 3}}, h)));
  h.mcp_params = {{"Count", "4"}};
  EXPECT_TRUE(IsRefusal(CallWeather({{"count", 3}}, h), status::bad_request, kHeaderMismatch, 9));
  // Exactly, past 2^53 too, where doubles would make the two equal.
  h.mcp_params = {{"Count", "9007199254740992"}};
  EXPECT_TRUE(IsRefusal(CallWeather({{"count", std::int64_t{9007199254740993}}}, h), status::bad_request,
                        kHeaderMismatch, 9));
}

TEST_F(StatelessAdmissionTest, ArgumentsWithoutMirroredValuesNeedNoParamHeader) {
  EXPECT_TRUE(IsAdmittedStateless(CallWeather({{"units", "metric"}}, Headers("tools/call", "get_weather"))));
}

TEST_F(StatelessAdmissionTest, LegacySessionAndStatelessRequestsShareTheEndpoint) {
  RequestHeaders legacy = Headers("", "", "");
  auto opened = Post(std::string(testing::kInitializeBody), legacy);
  ASSERT_TRUE(std::holds_alternative<Admitted>(opened));
  EXPECT_NE(std::get<Admitted>(opened).session, nullptr);
  EXPECT_FALSE(std::get<Admitted>(opened).initialized.empty());

  EXPECT_TRUE(IsAdmittedStateless(Post(Body(2, "tools/list", Stateless()), Headers("tools/list"))));
  EXPECT_EQ(server_.session_count(), 1u);
}

TEST_F(StatelessAdmissionTest, GetWithoutASessionIsNotAllowed) {
  RequestHeaders h = Headers("");
  h.accept = "text/event-stream";
  auto out = AdmitGet(h, shared_);
  ASSERT_TRUE(std::holds_alternative<Answer>(out));
  EXPECT_EQ(std::get<Answer>(out).status, status::method_not_allowed);
}

TEST_F(StatelessAdmissionTest, DeleteWithoutASessionIsNotAllowed) {
  EXPECT_EQ(Delete(Headers(""), shared_).status, status::method_not_allowed);
}

// --- Whole requests over loopback -----------------------------------------------

class StatelessHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>(ServerOptions{.name = "stateless-http", .worker_threads = 2});
    server_->AddTool({.name = "echo",
                      .input_schema = json::parse(R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})").as_object(),
                      .execution = Execution::kInline,
                      .handler = [](Context&, const json::object& a) {
                        return ToolResult::Text(a.at("text").as_string());
                      }});
    server_->Start();
    http_ = std::make_unique<HttpTransport>(*server_, HttpOptions{.port = 0});
    port_ = http_->Listen();
  }
  void TearDown() override {
    http_.reset();
    server_->Stop();
  }

  // A 2026-07-28 POST with its mirrored headers; the parsed JSON response.
  json::value PostStateless(testing::HttpClient& c, std::string_view method, const json::object& params,
                            std::string_view name = "") {
    auto headers = testing::McpHeaders();
    headers["MCP-Protocol-Version"] = kModern;
    headers["Mcp-Method"] = method;
    if (!name.empty()) headers["Mcp-Name"] = name;
    testing::HttpResponse r = c.Request("POST", "/mcp", Body(1, method, Stateless(params)), headers);
    EXPECT_EQ(r.header("content-type"), "application/json") << r.body;
    EXPECT_EQ(r.header("mcp-session-id"), "");
    return r.json();
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<HttpTransport> http_;
  unsigned short port_ = 0;
};

TEST_F(StatelessHttpTest, ToolsCallResultIsComplete) {
  testing::HttpClient c(port_);
  const json::value r =
      PostStateless(c, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "hi"}}}}, "echo");
  EXPECT_EQ(r.at("id"), 1);
  EXPECT_EQ(r.at("result").at("resultType"), "complete");
  EXPECT_EQ(r.at("result").at("content").at(0).at("text"), "hi");
  EXPECT_EQ(server_->session_count(), 0u);
}

TEST_F(StatelessHttpTest, DiscoverNamesTheModernVersionsServerAndCaching) {
  testing::HttpClient c(port_);
  const json::value r = PostStateless(c, "server/discover", {});
  const json::value& result = r.at("result");
  EXPECT_EQ(result.at("supportedVersions"), json::array({"2026-07-28"}));
  EXPECT_EQ(result.at("_meta").at(protocol::meta::kServerInfo).at("name"), "stateless-http");
  EXPECT_EQ(result.at("ttlMs"), 0);
  EXPECT_EQ(result.at("cacheScope"), "private");
  EXPECT_EQ(result.at("resultType"), "complete");
}

TEST_F(StatelessHttpTest, UnknownResourceIsInvalidParamsUnder2026) {
  testing::HttpClient c(port_);
  const json::value r = PostStateless(c, "resources/read", {{"uri", "file:///missing.txt"}}, "file:///missing.txt");
  EXPECT_EQ(r.at("id"), 1);
  EXPECT_EQ(r.at("error").at("code"), kInvalidParams);
  EXPECT_EQ(r.at("error").at("data").at("uri"), "file:///missing.txt");
}

TEST_F(StatelessHttpTest, UnknownResourceIsResourceNotFoundInA2025Session) {
  testing::HttpClient c(port_);
  const std::string sid = testing::InitializeSession(c);
  testing::HttpResponse r = c.Request(
      "POST", "/mcp", R"({"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"file:///missing.txt"}})",
      testing::McpHeaders(sid));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("error").at("code"), -32002);
  EXPECT_EQ(r.json().at("error").at("data").at("uri"), "file:///missing.txt");
}

// Header names are case-insensitive, and optional whitespace around a value
// is not part of it.
TEST_F(StatelessHttpTest, LowercaseHeaderNamesAndPaddedValuesAreAccepted) {
  testing::HttpClient c(port_);
  auto headers = testing::McpHeaders();
  headers["mcp-protocol-version"] = kModern;
  headers["mcp-method"] = "tools/call";
  headers["MCP-NAME"] = "  echo  ";
  testing::HttpResponse r = c.Request(
      "POST", "/mcp", Body(3, "tools/call", Stateless({{"name", "echo"}, {"arguments", {{"text", "x"}}}})), headers);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("result").at("content").at(0).at("text"), "x");
}

TEST_F(StatelessHttpTest, HeaderMismatchOverTheWireIs400) {
  testing::HttpClient c(port_);
  auto headers = testing::McpHeaders();
  headers["MCP-Protocol-Version"] = kModern;
  headers["Mcp-Method"] = "tools/list";
  testing::HttpResponse r = c.Request("POST", "/mcp", Body(4, "tools/call", Stateless({{"name", "echo"}})), headers);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json().at("error").at("code"), kHeaderMismatch);
  EXPECT_EQ(r.json().at("id"), 4);
}

}  // namespace
}  // namespace mcpx::transport::http
