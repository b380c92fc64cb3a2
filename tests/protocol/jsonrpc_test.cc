#include "protocol/jsonrpc.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <string>

#include "mcpx/error.h"

namespace mcpx::protocol {
namespace {

int FailureCode(std::string_view body) {
  auto out = Parse(body);
  EXPECT_FALSE(out.message.has_value()) << body;
  return out.failure ? out.failure->code : 0;
}

TEST(JsonRpcParse, ClassifiesRequestNotificationAndResponses) {
  auto req = Parse(R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"cursor":"1"}})");
  ASSERT_TRUE(req.message);
  EXPECT_EQ(req.message->kind, MessageKind::kRequest);
  EXPECT_EQ(req.message->id, json::value(7));
  EXPECT_EQ(req.message->params.at("cursor"), "1");

  auto note = Parse(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  ASSERT_TRUE(note.message);
  EXPECT_EQ(note.message->kind, MessageKind::kNotification);

  auto ok = Parse(R"({"jsonrpc":"2.0","id":"a","result":{}})");
  ASSERT_TRUE(ok.message);
  EXPECT_EQ(ok.message->kind, MessageKind::kResponse);

  auto err = Parse(R"({"jsonrpc":"2.0","id":3,"error":{"code":-1,"message":"x"}})");
  ASSERT_TRUE(err.message);
  EXPECT_EQ(err.message->kind, MessageKind::kErrorResponse);
}

TEST(JsonRpcParse, MalformedJsonIsParseError) {
  EXPECT_EQ(FailureCode("{"), ErrorCode::kParseError);
  EXPECT_EQ(FailureCode(""), ErrorCode::kParseError);
  EXPECT_EQ(FailureCode(R"({"jsonrpc":"2.0",})"), ErrorCode::kParseError);
}

TEST(JsonRpcParse, InvalidUtf8IsParseError) {
  EXPECT_EQ(FailureCode("{\"jsonrpc\":\"2.0\",\"method\":\"a\xff\"}"), ErrorCode::kParseError);
}

TEST(JsonRpcParse, NestingBeyondLimitIsRejected) {
  std::string deep(200, '[');
  deep += std::string(200, ']');
  EXPECT_EQ(FailureCode(deep), ErrorCode::kParseError);
  std::string shallow = R"({"jsonrpc":"2.0","id":1,"method":"m","params":{"a":[[[1]]]}})";
  EXPECT_TRUE(Parse(shallow).message.has_value());
}

TEST(JsonRpcParse, InvalidMessagesAreInvalidRequest) {
  EXPECT_EQ(FailureCode(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])"), ErrorCode::kInvalidRequest);
  EXPECT_EQ(FailureCode(R"({"jsonrpc":"1.0","id":1,"method":"ping"})"), ErrorCode::kInvalidRequest);
  EXPECT_EQ(FailureCode(R"({"id":1,"method":"ping"})"), ErrorCode::kInvalidRequest);
  EXPECT_EQ(FailureCode(R"({"jsonrpc":"2.0","id":null,"method":"ping"})"), ErrorCode::kInvalidRequest);
  EXPECT_EQ(FailureCode(R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})"), ErrorCode::kInvalidRequest);
  EXPECT_EQ(FailureCode(R"({"jsonrpc":"2.0","id":1,"method":3})"), ErrorCode::kInvalidRequest);
  EXPECT_EQ(FailureCode(R"({"jsonrpc":"2.0","id":1,"method":"m","params":[1]})"), ErrorCode::kInvalidRequest);
  EXPECT_EQ(FailureCode(R"({"jsonrpc":"2.0","id":1})"), ErrorCode::kInvalidRequest);
  EXPECT_EQ(FailureCode(R"("just a string")"), ErrorCode::kInvalidRequest);
}

TEST(JsonRpcParse, RecoversIdForInvalidRequestWhenPossible) {
  auto out = Parse(R"({"jsonrpc":"1.0","id":"x","method":"ping"})");
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->id, json::value("x"));
}

TEST(JsonRpcSerialize, ResultAndErrorShapes) {
  auto ok = json::parse(SerializeResult(5, json::object{{"a", 1}}));
  EXPECT_EQ(ok.at("jsonrpc"), "2.0");
  EXPECT_EQ(ok.at("id"), 5);
  EXPECT_EQ(ok.at("result").at("a"), 1);

  auto err = json::parse(SerializeError("k", -32601, "nope"));
  EXPECT_EQ(err.at("id"), "k");
  EXPECT_EQ(err.at("error").at("code"), -32601);
  EXPECT_EQ(err.at("error").at("message"), "nope");
  EXPECT_FALSE(err.at("error").as_object().contains("data"));
}

TEST(JsonRpcSerialize, EveryShapeRoundTrips) {
  // Escaping in hand-written envelopes, error data, and a result longer than
  // the serializer's chunk.
  auto err = json::parse(SerializeError(json::value(std::int64_t{-3}), -32602, "bad \"x\"\n\x01",
                                        json::object{{"why", "a"}}));
  EXPECT_EQ(err.at("jsonrpc"), "2.0");
  EXPECT_EQ(err.at("id"), -3);
  EXPECT_EQ(err.at("error").at("message"), "bad \"x\"\n\x01");
  EXPECT_EQ(err.at("error").at("data").at("why"), "a");

  const std::string big(5000, 'z');
  auto ok = json::parse(SerializeResult("r", json::object{{"text", big}}));
  EXPECT_EQ(ok.at("result").at("text").as_string(), big);

  auto note = json::parse(SerializeNotification("notifications/progress", {{"progress", 1}}));
  EXPECT_EQ(note.at("method"), "notifications/progress");
  EXPECT_EQ(note.at("params").at("progress"), 1);
  EXPECT_FALSE(note.as_object().contains("id"));
  EXPECT_FALSE(json::parse(SerializeNotification("m", {})).as_object().contains("params"));

  auto req = json::parse(SerializeRequest(9, "sampling/createMessage", {{"maxTokens", 5}}));
  EXPECT_EQ(req.at("id"), 9);
  EXPECT_EQ(req.at("method"), "sampling/createMessage");
  EXPECT_EQ(req.at("params").at("maxTokens"), 5);

  // Each parses back as the message kind it is.
  EXPECT_EQ(Parse(SerializeRequest(9, "ping", {})).message->kind, MessageKind::kRequest);
  EXPECT_EQ(Parse(SerializeResult(9, json::object())).message->kind, MessageKind::kResponse);
  EXPECT_EQ(Parse(SerializeError(9, -1, "x")).message->kind, MessageKind::kErrorResponse);
}

// Issue 8: numbers beyond double's range became infinity, and went out as
// the non-JSON "Infinity"; they are refused in and written as null out.
TEST(JsonRpcParse, OutOfRangeNumbersAreParseErrorsAndNeverWritten) {
  auto out = Parse(R"({"jsonrpc":"2.0","id":1,"method":"m","params":{"x":[1,{"y":-1e400}]}})");
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->code, ErrorCode::kParseError);
  const std::string text = SerializeResult(1, json::object{{"sum", std::numeric_limits<double>::infinity()},
                                                           {"nan", std::nan("")}, {"ok", 1.5}});
  EXPECT_EQ(text, R"({"jsonrpc":"2.0","id":1,"result":{"sum":null,"nan":null,"ok":1.5E0}})");
}

TEST(JsonRpcParse, OverlongStringIdsAreInvalidRequests) {
  const std::string ok = R"({"jsonrpc":"2.0","id":")" + std::string(kMaxIdBytes, 'i') + R"(","method":"m"})";
  EXPECT_TRUE(Parse(ok).message);
  const std::string bad = R"({"jsonrpc":"2.0","id":")" + std::string(kMaxIdBytes + 1, 'i') + R"(","method":"m"})";
  auto out = Parse(bad);
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->code, ErrorCode::kInvalidRequest);
  EXPECT_TRUE(out.failure->id.is_null());  // an over-long id is not echoed
}

// Decided (docs/security.md): a duplicate key is not an error and the last
// one wins, as with JavaScript's JSON.parse and so the TypeScript SDK.
TEST(JsonRpcParse, DuplicateKeysLastOneWins) {
  auto out = Parse(R"({"jsonrpc":"2.0","id":1,"method":"first","method":"second","params":{"a":1,"a":2}})");
  ASSERT_TRUE(out.message);
  EXPECT_EQ(out.message->method, "second");
  EXPECT_EQ(out.message->params.at("a"), 2);
  EXPECT_EQ(out.message->params.size(), 1u);
}

TEST(JsonRpcIdKey, DistinguishesStringAndNumberIds) {
  EXPECT_NE(IdKey(json::value(7)), IdKey(json::value("7")));
  EXPECT_EQ(IdKey(json::value(7)), IdKey(json::value(7)));
}

}  // namespace
}  // namespace mcpx::protocol
