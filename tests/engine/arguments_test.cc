// Tool argument validation against the input schema's types.
#include "engine/arguments.h"

#include <gtest/gtest.h>

#include "mcpx/error.h"

namespace mcpx::engine {
namespace {

json::object Obj(std::string_view text) { return json::parse(text).as_object(); }

bool Valid(std::string_view schema, std::string_view args) {
  try {
    ValidateArguments(Obj(schema), Obj(args));
    return true;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidParams);
    return false;
  }
}

// Issue 8, defect 8: {"ms":1e300} converted a double of magnitude >= 2^63 to
// long long (undefined behaviour, which UBSan stops on). An integer is a
// number without a fraction, at any magnitude.
TEST(ValidateArguments, IntegersOfAnyMagnitudeWithoutUndefinedBehaviour) {
  constexpr std::string_view kSchema = R"({"type":"object","properties":{"ms":{"type":"integer"}}})";
  EXPECT_TRUE(Valid(kSchema, R"({"ms":1e300})"));
  EXPECT_TRUE(Valid(kSchema, R"({"ms":-1e19})"));
  EXPECT_TRUE(Valid(kSchema, R"({"ms":18446744073709551615})"));
  EXPECT_TRUE(Valid(kSchema, R"({"ms":2.0})"));
  EXPECT_FALSE(Valid(kSchema, R"({"ms":2.5})"));
  EXPECT_FALSE(Valid(kSchema, R"({"ms":"2"})"));
}

TEST(ValidateArguments, RequiredAndTypes) {
  constexpr std::string_view kSchema =
      R"({"type":"object","properties":{"s":{"type":"string"},"n":{"type":["number","null"]}},"required":["s"]})";
  EXPECT_TRUE(Valid(kSchema, R"({"s":"x","n":null})"));
  EXPECT_TRUE(Valid(kSchema, R"({"s":"x","n":1.5,"extra":true})"));
  EXPECT_FALSE(Valid(kSchema, R"({"n":1})"));
  EXPECT_FALSE(Valid(kSchema, R"({"s":1})"));
  EXPECT_FALSE(Valid(kSchema, R"({"s":"x","n":"1"})"));
}

}  // namespace
}  // namespace mcpx::engine
