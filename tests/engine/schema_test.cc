// Tool arguments against a compiled JSON Schema (engine/schema.h).
#include "engine/schema.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace mcpx::engine {
namespace {

std::shared_ptr<const CompiledSchema> Compiled(std::string_view schema) {
  std::string error;
  auto compiled = CompiledSchema::Compile(json::parse(schema).as_object(), &error);
  EXPECT_TRUE(compiled) << error;
  return compiled;
}

// The message for `instance`, empty when valid.
std::string Check(std::string_view schema, std::string_view instance) {
  auto compiled = Compiled(schema);
  return compiled ? compiled->Validate(json::parse(instance)) : "(did not compile)";
}

constexpr std::string_view kAddress = R"({
  "type": "object",
  "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 8},
    "address": {
      "type": "object",
      "properties": {"zip": {"type": "integer"}, "city": {"type": "string"}},
      "required": ["city"]
    },
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2}
  },
  "required": ["name"]
})";

TEST(CompiledSchema, NestedObjectsNameThePointer) {
  EXPECT_EQ(Check(kAddress, R"({"name":"a","address":{"zip":75001,"city":"Paris"}})"), "");
  EXPECT_EQ(Check(kAddress, R"({"name":"a","address":{"zip":"x","city":"Paris"}})"),
            "/address/zip: expected integer, got string");
  EXPECT_EQ(Check(kAddress, R"({"name":"a","address":{"zip":1}})"), "missing required property 'city' at /address");
  EXPECT_EQ(Check(kAddress, R"({"address":{"city":"x"}})"), "missing required property 'name'");
}

TEST(CompiledSchema, ArraysAndItems) {
  EXPECT_EQ(Check(kAddress, R"({"name":"a","tags":["x","y"]})"), "");
  EXPECT_EQ(Check(kAddress, R"({"name":"a","tags":["x",2]})"), "/tags/1: expected string, got integer");
  EXPECT_NE(Check(kAddress, R"({"name":"a","tags":["x","y","z"]})"), "");
}

TEST(CompiledSchema, StringLengthsCountCodePoints) {
  EXPECT_NE(Check(kAddress, R"({"name":""})"), "");
  EXPECT_EQ(Check(kAddress, R"({"name":"éééééééé"})"), "");  // 8 code points, 16 bytes
  EXPECT_NE(Check(kAddress, R"({"name":"123456789"})"), "");
}

TEST(CompiledSchema, EnumAndConst) {
  constexpr std::string_view kSchema =
      R"({"properties":{"unit":{"enum":["c","f",null]},"kind":{"const":{"a":[1,2]}}}})";
  EXPECT_EQ(Check(kSchema, R"({"unit":null,"kind":{"a":[1,2]}})"), "");
  EXPECT_EQ(Check(kSchema, R"({"unit":"k"})"), "/unit: value is not one of the 'enum' values");
  EXPECT_EQ(Check(kSchema, R"({"kind":{"a":[2,1]}})"), "/kind: value is not the 'const' value");
}

TEST(CompiledSchema, NumericBounds) {
  constexpr std::string_view kSchema =
      R"({"properties":{"a":{"minimum":1,"maximum":3},"b":{"exclusiveMinimum":0,"exclusiveMaximum":1}}})";
  EXPECT_EQ(Check(kSchema, R"({"a":1,"b":0.5})"), "");
  EXPECT_EQ(Check(kSchema, R"({"a":3.0})"), "");
  EXPECT_NE(Check(kSchema, R"({"a":0})"), "");
  EXPECT_NE(Check(kSchema, R"({"a":3.5})"), "");
  EXPECT_NE(Check(kSchema, R"({"b":0})"), "");
  EXPECT_NE(Check(kSchema, R"({"b":1})"), "");
  // Draft 4's boolean exclusiveMinimum.
  constexpr std::string_view kDraft4 =
      R"({"$schema":"http://json-schema.org/draft-04/schema#","minimum":0,"exclusiveMinimum":true})";
  EXPECT_NE(Check(kDraft4, "0"), "");
  EXPECT_EQ(Check(kDraft4, "0.1"), "");
}

TEST(CompiledSchema, IntegersAndNumbers) {
  constexpr std::string_view kSchema = R"({"properties":{"i":{"type":"integer"},"n":{"type":"number"}}})";
  EXPECT_EQ(Check(kSchema, R"({"i":2,"n":2})"), "");              // an integer is a number
  EXPECT_EQ(Check(kSchema, R"({"i":2.0})"), "");                  // 2.0 is an integer
  EXPECT_EQ(Check(kSchema, R"({"i":-9007199254740992.0})"), "");  // -2^53
  EXPECT_EQ(Check(kSchema, R"({"i":18446744073709551615,"n":18446744073709551615})"),
            "/i: expected integer, got integer");  // uint64 above 2^63: a documented gap
  EXPECT_EQ(Check(kSchema, R"({"i":2.5})"), "/i: expected integer, got number");
  EXPECT_EQ(Check(kSchema, R"({"n":"2"})"), "/n: expected number, got string");
  EXPECT_EQ(Check(R"({"type":"integer","multipleOf":2,"maximum":4})", "4.0"), "");
  EXPECT_NE(Check(R"({"type":"integer","multipleOf":2,"maximum":4})", "3.0"), "");
}

TEST(CompiledSchema, Pattern) {
  constexpr std::string_view kSchema = R"({"properties":{"zip":{"type":"string","pattern":"^[0-9]{5}$"}}})";
  EXPECT_EQ(Check(kSchema, R"({"zip":"75001"})"), "");
  EXPECT_EQ(Check(kSchema, R"({"zip":"7500"})"), "/zip: string does not match pattern '^[0-9]{5}$'");
  EXPECT_EQ(Check(kSchema, R"({"zip":7500})"), "/zip: expected string, got integer");
  EXPECT_EQ(Check(R"({"pattern":"^a"})", "7"), "");  // pattern applies to strings only
}

// std::regex recurses per character: a long string against "(a|b)*" once
// overflowed the stack. Longer than the limit is refused, not matched.
TEST(CompiledSchema, LongStringsAgainstAPatternFailClosed) {
  auto compiled = Compiled(R"({"properties":{"s":{"type":"string","pattern":"^(a|b)*$"}}})");
  json::object args;
  args["s"] = std::string(1024, 'a');
  EXPECT_EQ(compiled->Validate(args), "");
  args["s"] = std::string(2'000'000, 'a');
  EXPECT_EQ(compiled->Validate(args),
            "/s: string of 2000000 bytes is too long to check against pattern '^(a|b)*$' (limit 1024 bytes)");
  // Strings with no pattern on them may be long.
  auto free_text = Compiled(R"({"properties":{"s":{"type":"string"}}})");
  EXPECT_EQ(free_text->Validate(args), "");
  // Property names under patternProperties, and propertyNames patterns.
  auto names = Compiled(R"({"patternProperties":{"^(a|b)*$":{"type":"integer"}}})");
  json::object long_key;
  long_key[std::string(5000, 'a')] = 1;
  EXPECT_NE(names->Validate(long_key), "");
  auto property_names = Compiled(R"({"propertyNames":{"pattern":"^(a|b)*$"}})");
  EXPECT_NE(property_names->Validate(long_key), "");
}

// valijson reads strings up to the first NUL; a schema comparing strings
// refuses NULs instead of checking a prefix.
TEST(CompiledSchema, NulInStringsUnderStringKeywords) {
  json::object args;
  args["s"] = std::string("abc\0evil", 8);
  EXPECT_NE(Compiled(R"({"properties":{"s":{"enum":["abc"]}}})")->Validate(args), "");
  EXPECT_NE(Compiled(R"({"properties":{"s":{"pattern":"^[a-z]+$"}}})")->Validate(args), "");
  EXPECT_EQ(Compiled(R"({"properties":{"s":{"type":"string"}}})")->Validate(args), "");
  // Names: valijson would read "a\0b" as "a". Refused in arguments always,
  // and in schemas at registration.
  json::object named;
  named[std::string("a\0b", 3)] = 1;
  EXPECT_NE(Compiled(R"({"required":["a"]})")->Validate(named), "");
  std::string error;
  EXPECT_FALSE(CompiledSchema::Compile(json::parse(R"({"required":["a\u0000b"]})").as_object(), &error));
  EXPECT_NE(error.find("NUL"), std::string::npos) << error;
  EXPECT_FALSE(CompiledSchema::Compile(json::parse(R"({"properties":{"a\u0000b":{}}})").as_object(), &error));
}

TEST(CompiledSchema, RefsIntoDefsAndDefinitions) {
  constexpr std::string_view kDefs = R"({
    "type":"object","properties":{"a":{"$ref":"#/$defs/pos"},"b":{"$ref":"#/definitions/pos"}},
    "$defs":{"pos":{"type":"integer","minimum":1}},"definitions":{"pos":{"type":"integer","minimum":1}}})";
  EXPECT_EQ(Check(kDefs, R"({"a":1,"b":2})"), "");
  EXPECT_EQ(Check(kDefs, R"({"a":"x"})"), "/a: expected integer, got string");
  EXPECT_NE(Check(kDefs, R"({"b":0})"), "");
  // A recursive schema: a tree.
  constexpr std::string_view kTree = R"({"$ref":"#/$defs/node","$defs":{"node":{"type":"object",
    "properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v"]}}})";
  EXPECT_EQ(Check(kTree, R"({"v":1,"kids":[{"v":2,"kids":[{"v":3}]}]})"), "");
  EXPECT_EQ(Check(kTree, R"({"v":1,"kids":[{"v":2,"kids":[{}]}]})"), "missing required property 'v' at /kids/0/kids/0");
}

TEST(CompiledSchema, Combinators) {
  constexpr std::string_view kAny = R"({"properties":{"id":{"anyOf":[{"type":"string"},{"type":"integer"}]}}})";
  EXPECT_EQ(Check(kAny, R"({"id":"x"})"), "");
  EXPECT_EQ(Check(kAny, R"({"id":3})"), "");
  const std::string any = Check(kAny, R"({"id":true})");
  EXPECT_EQ(any.rfind("/id: value matches none of the 'anyOf' alternatives", 0), 0u) << any;

  constexpr std::string_view kOne = R"({"oneOf":[{"type":"integer"},{"minimum":2}]})";
  EXPECT_EQ(Check(kOne, "1"), "");
  EXPECT_EQ(Check(kOne, "2.5"), "");
  EXPECT_EQ(Check(kOne, "3"), "/: value matches more than one of the 'oneOf' alternatives");

  constexpr std::string_view kAll = R"({"allOf":[{"type":"string"},{"maxLength":2}]})";
  EXPECT_EQ(Check(kAll, R"("ab")"), "");
  EXPECT_NE(Check(kAll, R"("abc")"), "");

  constexpr std::string_view kNot = R"({"properties":{"x":{"not":{"type":"null"}}}})";
  EXPECT_EQ(Check(kNot, R"({"x":1})"), "");
  EXPECT_EQ(Check(kNot, R"({"x":null})"), "/x: value matches the schema under 'not'");
}

TEST(CompiledSchema, AdditionalPropertiesFalse) {
  constexpr std::string_view kSchema =
      R"({"type":"object","properties":{"a":{"type":"object","properties":{"b":{}},"additionalProperties":false}},
          "additionalProperties":false})";
  EXPECT_EQ(Check(kSchema, R"({"a":{"b":1}})"), "");
  EXPECT_EQ(Check(kSchema, R"({"c":1})"), "/: property 'c' is not allowed");
  EXPECT_EQ(Check(kSchema, R"({"a":{"b":1,"d":2}})"), "/a: property 'd' is not allowed");
}

TEST(CompiledSchema, Draft2020Keywords) {
  constexpr std::string_view kTuple =
      R"({"$schema":"https://json-schema.org/draft/2020-12/schema","prefixItems":[{"type":"integer"}],"items":false})";
  EXPECT_EQ(Check(kTuple, "[1]"), "");
  EXPECT_NE(Check(kTuple, "[1,2]"), "");
  EXPECT_NE(Check(kTuple, R"(["x"])"), "");
  constexpr std::string_view kDependent = R"({"dependentRequired":{"a":["b"]}})";
  EXPECT_EQ(Check(kDependent, R"({"a":1,"b":2})"), "");
  EXPECT_NE(Check(kDependent, R"({"a":1})"), "");
  // format is an annotation; unknown and unsupported keywords do not fail
  // registration, and the unsupported ones are listed.
  EXPECT_EQ(Check(R"({"type":"string","format":"email"})", R"("not an email")"), "");
  auto weak = Compiled(R"({"properties":{"a":{}},"unevaluatedProperties":false,"x-vendor":1})");
  ASSERT_TRUE(weak);
  EXPECT_EQ(weak->IgnoredKeywords(), std::vector<std::string>{"/unevaluatedProperties"});
  EXPECT_EQ(weak->Validate(json::parse(R"({"a":1,"b":2})")), "");
}

TEST(CompiledSchema, CompileErrorsNameTheProblem) {
  std::string error;
  EXPECT_FALSE(CompiledSchema::Compile(json::parse(R"({"properties":{"a":{"pattern":"(["}}})").as_object(), &error));
  EXPECT_EQ(error.rfind("invalid regular expression in 'pattern' at /properties/a/pattern", 0), 0u) << error;
  EXPECT_FALSE(CompiledSchema::Compile(json::parse(R"({"properties":{"a":{"type":"strin"}}})").as_object(), &error));
  EXPECT_NE(error.find("strin"), std::string::npos) << error;
  EXPECT_FALSE(CompiledSchema::Compile(json::parse(R"({"$ref":"#/$defs/missing"})").as_object(), &error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(CompiledSchema::Compile(json::parse(R"({"$ref":"https://example.com/s.json"})").as_object(), &error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(CompiledSchema::Compile(json::parse(R"({"minLength":"x"})").as_object(), &error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(CompiledSchema::Compile(json::parse(R"({"patternProperties":{"(":{}}})").as_object(), &error));
  EXPECT_NE(error.find("patternProperties"), std::string::npos) << error;
  // Null error pointer is allowed.
  EXPECT_FALSE(CompiledSchema::Compile(json::parse(R"({"required":3})").as_object(), nullptr));
}

json::value Nested(std::size_t depth, bool objects) {
  json::value v = nullptr;
  for (std::size_t i = 0; i < depth; ++i) {
    if (objects) {
      json::object o;
      o["a"] = std::move(v);
      v = std::move(o);
    } else {
      json::array a;
      a.push_back(std::move(v));
      v = std::move(a);
    }
  }
  return v;
}

TEST(CompiledSchema, DeepNestingIsRefusedNotRecursed) {
  // A recursive schema descends as deep as the value does.
  auto any_depth = Compiled(R"({"$defs":{"n":{"anyOf":[{"type":"null"},{"type":"array","items":{"$ref":"#/$defs/n"},
      "uniqueItems":true},{"type":"object","additionalProperties":{"$ref":"#/$defs/n"}}]}},"$ref":"#/$defs/n"})");
  EXPECT_EQ(any_depth->Validate(Nested(100, false)), "");
  EXPECT_EQ(any_depth->Validate(Nested(100, true)), "");
  for (bool objects : {false, true}) {
    const json::value deep = Nested(10'000, objects);
    const std::string message = any_depth->Validate(deep);
    EXPECT_NE(message.find("nested deeper than 128 levels"), std::string::npos) << message.substr(0, 200);
  }
}

// uniqueItems compares every pair of items: a long array is refused.
TEST(CompiledSchema, UniqueItemsIsBounded) {
  auto compiled = Compiled(R"({"properties":{"a":{"type":"array","uniqueItems":true}}})");
  json::array items;
  for (int i = 0; i < 1000; ++i) items.push_back(i);
  json::object args;
  args["a"] = items;
  EXPECT_EQ(compiled->Validate(args), "");
  items.push_back(1000);
  args["a"] = items;
  EXPECT_EQ(compiled->Validate(args), "/a: array of 1001 items is too long to check 'uniqueItems' (limit 1000 items)");
  args["a"] = json::array{1, 2, 1};
  EXPECT_NE(compiled->Validate(args), "");
}

TEST(CompiledSchema, SharedAcrossThreadsIsConst) {
  auto compiled = Compiled(kAddress);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (!compiled->Validate(json::parse(R"({"name":"a"})")).empty()) ++failures;
        if (compiled->Validate(json::parse(R"({"name":1})")).empty()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace mcpx::engine

namespace mcpx::engine {
namespace {

// Schemas of primitive-typed properties and "required" skip valijson
// (engine/simple_schema.h); they must answer as valijson does. "$comment"
// sends the same schema through valijson for comparison.
TEST(CompiledSchema, TheSimplePathAnswersAsValijson) {
  const std::vector<std::string_view> schemas = {
      R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})",
      R"({"type":"object","properties":{"n":{"type":"integer"},"x":{"type":["number","null"]},
          "b":{"type":"boolean","description":"flag"}},"required":["n","b"]})",
      R"({"type":"object","properties":{"o":{"type":"object"},"a":{"type":"array"},"any":{}}})",
      R"({"type":"object"})",
  };
  const std::vector<std::string_view> instances = {
      R"({})", R"({"text":"hi"})", R"({"text":1})", R"({"n":2,"b":true})", R"({"n":2.0,"b":false,"x":null})",
      R"({"n":2.5,"b":true})", R"({"n":1e300,"b":true})", R"({"n":"2","b":true})", R"({"n":2,"b":true,"x":"y"})",
      R"({"o":{},"a":[],"any":null})", R"({"o":[],"a":{}})", R"([])", R"("text")", R"(null)",
      R"({"n":18446744073709551615,"b":true})", R"({"n":-9223372036854775808,"b":true,"x":1})",
  };
  for (std::string_view schema_text : schemas) {
    json::object schema = json::parse(schema_text).as_object();
    json::object slow_schema = schema;
    slow_schema["$comment"] = "not simple";
    const auto fast = Compiled(json::serialize(schema));
    const auto slow = Compiled(json::serialize(slow_schema));
    for (std::string_view instance_text : instances) {
      const json::value instance = json::parse(instance_text);
      const std::string f = fast->Validate(instance);
      const std::string s = slow->Validate(instance);
      EXPECT_EQ(f.empty(), s.empty()) << schema_text << " / " << instance_text << ": simple '" << f
                                      << "', valijson '" << s << "'";
    }
  }
  EXPECT_EQ(Check(schemas[0], R"({"text":1})"), "/text: expected string, got integer");
  EXPECT_EQ(Check(schemas[0], R"({})"), "missing required property 'text'");
}

// Found by fuzz_arguments: schemas valijson would apply to the same value
// without end, and references it cannot resolve here, refused at
// registration instead of overflowing the stack.
TEST(CompiledSchema, SelfApplyingAndNonLocalReferencesAreRefused) {
  for (std::string_view schema : {R"({"$ref":"v"})", R"({"$ref":"#"})", R"({"allOf":[{"$ref":"#"}]})",
                                  R"({"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"not":{"$ref":"#/$defs/a"}}},"$ref":"#/$defs/a"})"}) {
    std::string error;
    EXPECT_EQ(CompiledSchema::Compile(json::parse(schema).as_object(), &error), nullptr) << schema;
    EXPECT_FALSE(error.empty()) << schema;
  }
  // Recursion that steps into a property is fine.
  EXPECT_EQ(Check(R"({"properties":{"a":{"$ref":"#"}}})", R"({"a":{"a":{}}})"), "");
}

}  // namespace
}  // namespace mcpx::engine
