// Header values that mirror the body under 2026-07-28 (SEP-2243, "Value
// Encoding"): "=?base64?<b64>?=" decoded with strict RFC 4648, anything else
// literal; and whether a decoded value stands for a JSON value of the body.
#include "protocol/header_value.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace mcpx::protocol {
namespace {

using std::nullopt;

// --- DecodeHeaderValue ----------------------------------------------------------

TEST(DecodeHeaderValueTest, DecodesTheSpecExamples) {
  EXPECT_EQ(DecodeHeaderValue("=?base64?SGVsbG8sIOS4lueVjA==?="), "Hello, \xe4\xb8\x96\xe7\x95\x8c");  // 世界
  EXPECT_EQ(DecodeHeaderValue("=?base64?IHBhZGRlZCA=?="), " padded ");
  EXPECT_EQ(DecodeHeaderValue("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="), "=?base64?literal?=");
}

TEST(DecodeHeaderValueTest, DecodesEveryPaddingLength) {
  EXPECT_EQ(DecodeHeaderValue("=?base64?SGVsbG8=?="), "Hello");    // one '='
  EXPECT_EQ(DecodeHeaderValue("=?base64?ZWNobw==?="), "echo");     // two
  EXPECT_EQ(DecodeHeaderValue("=?base64?SGVsbG8h?="), "Hello!");   // none
  EXPECT_EQ(DecodeHeaderValue("=?base64?WsO8cmljaA==?="), "Z\xc3\xbcrich");  // Zürich
  EXPECT_EQ(DecodeHeaderValue("=?base64?" "?="), "");  // split: "??=" is a trigraph
}

TEST(DecodeHeaderValueTest, RejectsMissingOrMisplacedPadding) {
  EXPECT_EQ(DecodeHeaderValue("=?base64?SGVsbG8?="), nullopt);     // "SGVsbG8=" unpadded
  EXPECT_EQ(DecodeHeaderValue("=?base64?ZWNobw?="), nullopt);      // "ZWNobw==" unpadded
  EXPECT_EQ(DecodeHeaderValue("=?base64?ZWNobw=?="), nullopt);     // one '=' short
  EXPECT_EQ(DecodeHeaderValue("=?base64?SGVsbG8=====?="), nullopt);
  EXPECT_EQ(DecodeHeaderValue("=?base64?SG=sbG8=?="), nullopt);    // '=' inside
  EXPECT_EQ(DecodeHeaderValue("=?base64?====?="), nullopt);
}

TEST(DecodeHeaderValueTest, RejectsNonCanonicalPaddingBits) {
  // "SGVsbG9=" and "ZW==" carry set bits where padding covers: RFC 4648 3.5.
  EXPECT_EQ(DecodeHeaderValue("=?base64?SGVsbG9=?="), nullopt);
  EXPECT_EQ(DecodeHeaderValue("=?base64?ZX==?="), nullopt);
}

TEST(DecodeHeaderValueTest, RejectsCharactersOutsideTheAlphabet) {
  EXPECT_EQ(DecodeHeaderValue("=?base64?SGVs!!!bG8=?="), nullopt);
  EXPECT_EQ(DecodeHeaderValue("=?base64?SGVs bG8=?="), nullopt);   // whitespace
  EXPECT_EQ(DecodeHeaderValue("=?base64?_-8=?="), nullopt);        // base64url alphabet
}

TEST(DecodeHeaderValueTest, ValueWithoutBothMarkersIsLiteral) {
  EXPECT_EQ(DecodeHeaderValue("SGVsbG8="), "SGVsbG8=");
  EXPECT_EQ(DecodeHeaderValue("=?base64?SGVsbG8="), "=?base64?SGVsbG8=");
  EXPECT_EQ(DecodeHeaderValue("SGVsbG8=?="), "SGVsbG8=?=");
  EXPECT_EQ(DecodeHeaderValue("=?base64?"), "=?base64?");
  // The markers are exact and lowercase.
  EXPECT_EQ(DecodeHeaderValue("=?BASE64?SGVsbG8=?="), "=?BASE64?SGVsbG8=?=");
}

TEST(DecodeHeaderValueTest, PlainValuesAreTakenAsIs) {
  EXPECT_EQ(DecodeHeaderValue("get_weather"), "get_weather");
  EXPECT_EQ(DecodeHeaderValue("file:///tmp/a b.txt"), "file:///tmp/a b.txt");
  EXPECT_EQ(DecodeHeaderValue("a\tb"), "a\tb");
  EXPECT_EQ(DecodeHeaderValue(""), "");
}

TEST(DecodeHeaderValueTest, PlainValuesWithControlOrNonAsciiCharactersAreRefused) {
  EXPECT_EQ(DecodeHeaderValue("a\x01" "b"), nullopt);
  EXPECT_EQ(DecodeHeaderValue("a\nb"), nullopt);
  EXPECT_EQ(DecodeHeaderValue("a\rb"), nullopt);
  EXPECT_EQ(DecodeHeaderValue("del\x7f"), nullopt);
  EXPECT_EQ(DecodeHeaderValue(std::string("nul\0", 4)), nullopt);
  EXPECT_EQ(DecodeHeaderValue("Z\xc3\xbcrich"), nullopt);  // raw UTF-8 must be encoded
}

// --- HeaderMatchesJson ----------------------------------------------------------

TEST(HeaderMatchesJsonTest, StringsMatchExactlyAndCaseSensitively) {
  EXPECT_TRUE(HeaderMatchesJson("us-west", json::value("us-west")));
  EXPECT_TRUE(HeaderMatchesJson("", json::value("")));
  EXPECT_FALSE(HeaderMatchesJson("US-WEST", json::value("us-west")));
  EXPECT_FALSE(HeaderMatchesJson("us-west ", json::value("us-west")));
  EXPECT_FALSE(HeaderMatchesJson("42.0", json::value("42")));  // a string is not a number
}

TEST(HeaderMatchesJsonTest, IntegersCompareNumerically) {
  EXPECT_TRUE(HeaderMatchesJson("42", json::value(42)));
  EXPECT_TRUE(HeaderMatchesJson("42", json::value(std::uint64_t{42})));
  EXPECT_TRUE(HeaderMatchesJson("42", json::value(42.0)));
  EXPECT_TRUE(HeaderMatchesJson("42", json::parse("42.0")));
  EXPECT_TRUE(HeaderMatchesJson("-7", json::value(-7)));
  EXPECT_TRUE(HeaderMatchesJson("0", json::value(0)));
  EXPECT_FALSE(HeaderMatchesJson("43", json::value(42)));
  // Exact past 2^53, where a double would not tell the two apart.
  EXPECT_FALSE(HeaderMatchesJson("9007199254740992", json::value(std::int64_t{9007199254740993})));
  EXPECT_FALSE(HeaderMatchesJson("18446744073709551615", json::value(std::uint64_t{18446744073709551614u})));
  // Only integers are mirrored into headers.
  EXPECT_FALSE(HeaderMatchesJson("1.5", json::value(1.5)));
  EXPECT_FALSE(HeaderMatchesJson("inf", json::parse("1e400")));
}

TEST(HeaderMatchesJsonTest, NumbersNeedTheWholeHeaderToBeANumber) {
  EXPECT_FALSE(HeaderMatchesJson("", json::value(42)));
  EXPECT_FALSE(HeaderMatchesJson("42abc", json::value(42)));
  EXPECT_FALSE(HeaderMatchesJson(" 42", json::value(42)));
  EXPECT_FALSE(HeaderMatchesJson("42 ", json::value(42)));
  EXPECT_FALSE(HeaderMatchesJson("0x2a", json::value(42)));
}

TEST(HeaderMatchesJsonTest, BooleansAreTrueOrFalse) {
  EXPECT_TRUE(HeaderMatchesJson("true", json::value(true)));
  EXPECT_TRUE(HeaderMatchesJson("false", json::value(false)));
  EXPECT_FALSE(HeaderMatchesJson("false", json::value(true)));
  EXPECT_FALSE(HeaderMatchesJson("True", json::value(true)));
  EXPECT_FALSE(HeaderMatchesJson("1", json::value(true)));
  EXPECT_FALSE(HeaderMatchesJson("0", json::value(false)));
}

TEST(HeaderMatchesJsonTest, ObjectsArraysAndNullNeverMatch) {
  EXPECT_FALSE(HeaderMatchesJson("null", json::value(nullptr)));
  EXPECT_FALSE(HeaderMatchesJson("", json::value(nullptr)));
  EXPECT_FALSE(HeaderMatchesJson("{}", json::value(json::object())));
  EXPECT_FALSE(HeaderMatchesJson("[]", json::value(json::array())));
  EXPECT_FALSE(HeaderMatchesJson("[1]", json::parse("[1]")));
  EXPECT_FALSE(HeaderMatchesJson(R"({"a":1})", json::parse(R"({"a":1})")));
}

}  // namespace
}  // namespace mcpx::protocol
