// Typed tools and prompts (mcpx/typed.h) and the type mapping under them
// (mcpx/schema.h): the schema each supported type gets, reading arguments
// with errors that name the field, writing results, and the whole path
// through the engine.
#include "mcpx/typed.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/server_access.h"
#include "mcpx/server.h"
#include "support/engine_request.h"

namespace typed_test {

enum class Units { metric, imperial };
BOOST_DESCRIBE_ENUM(Units, metric, imperial)

struct Address {
  std::string city;
  std::optional<std::string> zip;
};
BOOST_DESCRIBE_STRUCT(Address, (), (city, zip))

struct Order {
  std::string sku;
  int quantity = 1;
  std::uint8_t priority = 0;
  double weight = 0;
  bool gift = false;
  Units units = Units::metric;
  Address ship_to;
  std::vector<std::string> notes;
  std::map<std::string, double> extras;
  std::optional<std::vector<Address>> more;
  mcpx::json::value anything;
};
BOOST_DESCRIBE_STRUCT(Order, (), (sku, quantity, priority, weight, gift, units, ship_to, notes, extras, more, anything))

inline mcpx::FieldDocs McpxFields(const Order*) {
  return {{"sku", {.description = "Stock keeping unit", .min_length = 3, .pattern = "^[A-Z0-9-]+$"}},
          {"quantity", {.description = "How many", .minimum = 1, .maximum = 99, .required = false}},
          {"notes", {.max_items = 5}},
          {"anything", {.required = false}}};
}

struct Bad {
  int x;
};
BOOST_DESCRIBE_STRUCT(Bad, (), (x))
inline mcpx::FieldDocs McpxFields(const Bad*) { return {{"y", {.description = "no such member"}}}; }

struct AddArgs {
  double a;
  double b;
};
BOOST_DESCRIBE_STRUCT(AddArgs, (), (a, b))

struct Sum {
  double sum;
  std::string spelled;
};
BOOST_DESCRIBE_STRUCT(Sum, (), (sum, spelled))

struct Greeting {
  std::string name;
  std::optional<std::string> mood;
};
BOOST_DESCRIBE_STRUCT(Greeting, (), (name, mood))
inline mcpx::FieldDocs McpxFields(const Greeting*) { return {{"name", {.description = "Whom to greet"}}}; }

}  // namespace typed_test

namespace mcpx {
namespace {

using namespace typed_test;

json::value J(std::string_view text) { return json::parse(text); }

TEST(SchemaOf, EveryMappedTypeAgainstHandWrittenExpectations) {
  EXPECT_EQ(json::value(SchemaOf<bool>()), J(R"({"type":"boolean"})"));
  EXPECT_EQ(json::value(SchemaOf<std::int64_t>()), J(R"({"type":"integer"})"));
  EXPECT_EQ(json::value(SchemaOf<std::uint64_t>()), J(R"({"type":"integer","minimum":0})"));
  EXPECT_EQ(json::value(SchemaOf<std::int16_t>()), J(R"({"type":"integer","minimum":-32768,"maximum":32767})"));
  EXPECT_EQ(json::value(SchemaOf<float>()), J(R"({"type":"number"})"));
  EXPECT_EQ(json::value(SchemaOf<std::string>()), J(R"({"type":"string"})"));
  EXPECT_EQ(json::value(SchemaOf<std::optional<std::string>>()), J(R"({"type":"string"})"));
  EXPECT_EQ(json::value(SchemaOf<std::vector<bool>>()), J(R"({"type":"array","items":{"type":"boolean"}})"));
  EXPECT_EQ(json::value(SchemaOf<std::map<std::string, int>>()),
            J(R"({"type":"object","additionalProperties":{"type":"integer","minimum":-2147483648,"maximum":2147483647}})"));
  EXPECT_EQ(json::value(SchemaOf<Units>()), J(R"({"type":"string","enum":["metric","imperial"]})"));
  EXPECT_EQ(json::value(SchemaOf<json::value>()), J(R"({})"));
  EXPECT_EQ(json::value(SchemaOf<json::object>()), J(R"({"type":"object"})"));

  const json::value address = J(R"({"type":"object","properties":{"city":{"type":"string"},"zip":{"type":"string"}},
                                    "required":["city"]})");
  EXPECT_EQ(json::value(SchemaOf<Address>()), address);
  const json::value order = J(R"({"type":"object","properties":{
      "sku":{"type":"string","description":"Stock keeping unit","minLength":3,"pattern":"^[A-Z0-9-]+$"},
      "quantity":{"type":"integer","minimum":1.0,"maximum":99.0,"description":"How many","default":1},
      "priority":{"type":"integer","minimum":0,"maximum":255},
      "weight":{"type":"number"},
      "gift":{"type":"boolean"},
      "units":{"type":"string","enum":["metric","imperial"]},
      "ship_to":{"type":"object","properties":{"city":{"type":"string"},"zip":{"type":"string"}},"required":["city"]},
      "notes":{"type":"array","items":{"type":"string"},"maxItems":5},
      "extras":{"type":"object","additionalProperties":{"type":"number"}},
      "more":{"type":"array","items":{"type":"object","properties":{"city":{"type":"string"},"zip":{"type":"string"}},
              "required":["city"]}},
      "anything":{"default":null}},
    "required":["sku","priority","weight","gift","units","ship_to","notes","extras"]})");
  EXPECT_EQ(json::value(SchemaOf<Order>()), order) << json::serialize(SchemaOf<Order>());
}

TEST(SchemaOf, DocsNamingNoMemberAreRefused) {
  try {
    SchemaOf<Bad>();
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "McpxFields of typed_test::Bad documents 'y', which is not one of its described members");
  }
}

std::string ReadError(std::string_view text) {
  Order order;
  return FromJson(J(text), order);
}

constexpr std::string_view kOrder =
    R"({"sku":"AB-1","priority":2,"weight":2,"gift":false,"units":"imperial","ship_to":{"city":"Oslo"},
        "notes":["a"],"extras":{"wrap":1.5}})";

TEST(FromJson, ReadsEveryMappedType) {
  Order order;
  ASSERT_EQ(FromJson(J(kOrder), order), "");
  EXPECT_EQ(order.sku, "AB-1");
  EXPECT_EQ(order.quantity, 1);  // absent, not required: its default
  EXPECT_EQ(order.priority, 2);
  EXPECT_EQ(order.weight, 2.0);  // an integer is a number
  EXPECT_EQ(order.units, Units::imperial);
  EXPECT_EQ(order.ship_to.city, "Oslo");
  EXPECT_FALSE(order.ship_to.zip.has_value());
  EXPECT_EQ(order.notes, std::vector<std::string>{"a"});
  EXPECT_EQ(order.extras.at("wrap"), 1.5);
  EXPECT_FALSE(order.more.has_value());

  json::value v = J(kOrder);
  v.as_object()["quantity"] = 3.0;  // 3.0 is the integer 3
  v.as_object()["more"] = J(R"([{"city":"Bergen","zip":"5003"}])");
  ASSERT_EQ(FromJson(v, order), "");
  EXPECT_EQ(order.quantity, 3);
  EXPECT_EQ(order.more->at(0).zip, "5003");
}

TEST(FromJson, ErrorsNameTheField) {
  json::value v = J(kOrder);
  auto with = [&](std::string_view pointer, json::value replacement) {
    json::value copy = v;
    if (pointer.rfind('/') == 0) {
      copy.as_object()[pointer.substr(1)] = std::move(replacement);
    } else {
      copy.at_pointer(pointer) = std::move(replacement);
    }
    Order order;
    return FromJson(copy, order);
  };
  EXPECT_EQ(ReadError(R"({"priority":1})"), "missing required property 'sku'");
  EXPECT_EQ(ReadError("[]"), "expected an object, got an array");
  EXPECT_EQ(with("/ship_to/city", 5), "/ship_to/city: expected a string, got a number");
  EXPECT_EQ(with("/ship_to", json::object{{"zip", "1"}}), "/ship_to: missing required property 'city'");
  EXPECT_EQ(with("/priority", 256), "/priority: expected an integer from 0 to 255, got 256");
  EXPECT_EQ(with("/priority", -1), "/priority: expected an integer from 0 to 255, got -1");
  EXPECT_EQ(with("/quantity", 2.5), "/quantity: expected an integer, got 2.5E0");
  EXPECT_EQ(with("/quantity", 1e300).substr(0, 33), "/quantity: expected an integer fr");
  EXPECT_EQ(with("/units", "kelvin"), "/units: expected one of 'metric', 'imperial', got 'kelvin'");
  EXPECT_EQ(with("/notes/0", true), "/notes/0: expected a string, got a boolean");
  EXPECT_EQ(with("/extras/wrap", "x"), "/extras/wrap: expected a number, got a string");
  EXPECT_EQ(with("/more", J(R"([{"city":"a"},{"zip":"b"}])")), "/more/1: missing required property 'city'");
  EXPECT_EQ(with("/gift", nullptr), "/gift: expected a boolean, got null");
}

TEST(ToJson, WritesStructsEnumsAndLeavesAbsentOptionalsOut) {
  Address a{.city = "Oslo"};
  EXPECT_EQ(ToJson(a), J(R"({"city":"Oslo"})"));
  a.zip = "0150";
  EXPECT_EQ(ToJson(a), J(R"({"city":"Oslo","zip":"0150"})"));
  EXPECT_EQ(ToJson(Units::imperial), "imperial");
  EXPECT_EQ(ToJson(std::vector<int>{1, 2}), J("[1,2]"));
}

TEST(FormatJson, NumbersAsPeopleWriteThem) {
  EXPECT_EQ(FormatJson(J(R"({"a":6.75,"b":[1,2.0,-0.5,1e300],"c":"q\"","d":null,"e":true})")),
            R"({"a":6.75,"b":[1,2,-0.5,1e+300],"c":"q\"","d":null,"e":true})");
}

class TypedToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>(ServerOptions{.worker_threads = 2, .check_structured_results = true});
    server_->Start();
    session_ = engine().NewSession(json::object{{"protocolVersion", "2025-11-25"},
                                                {"clientInfo", {{"name", "test"}, {"version", "1"}}}});
    session_->set_standalone(std::make_shared<testing::RecordingChannel>());
    ASSERT_TRUE(engine().Publish(session_));
    session_->MarkReady();
  }
  void TearDown() override {
    session_.reset();
    server_.reset();
  }
  engine::Engine& engine() { return engine::ServerAccess::EngineOf(*server_); }

  json::value Call(std::string method, json::object params) {
    return testing::SendRequest(engine(), session_, next_id_++, std::move(method), std::move(params))
        ->WaitFinal()
        .value_or(nullptr);
  }
  json::value Tool(std::string_view name) {
    const json::value list = Call("tools/list", {});
    for (const auto& t : list.at("result").at("tools").as_array()) {
      if (t.at("name").as_string() == name) return t;
    }
    return nullptr;
  }

  std::unique_ptr<Server> server_;
  engine::SessionPtr session_;
  std::int64_t next_id_ = 1;
};

TEST_F(TypedToolTest, ANumberResultIsStructuredAndReadable) {
  server_->AddTool(MakeTool<AddArgs>({.name = "add", .description = "Adds two numbers"},
                                     [](const AddArgs& in) { return in.a + in.b; }));
  EXPECT_EQ(Tool("add").at("inputSchema"),
            J(R"({"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]})"));
  EXPECT_EQ(Tool("add").at("outputSchema"),
            J(R"({"type":"object","properties":{"result":{"type":"number"}},"required":["result"]})"));
  // {a:2, b:3}: integers where the schema says number (once -32603 with
  // every outside client tried).
  auto r = Call("tools/call", {{"name", "add"}, {"arguments", {{"a", 2}, {"b", 4.75}}}});
  EXPECT_EQ(r.at("result").at("structuredContent"), J(R"({"result":6.75})"));
  EXPECT_EQ(r.at("result").at("content").at(0).at("text"), R"({"result":6.75})");
  EXPECT_FALSE(r.at("result").as_object().contains("isError") && r.at("result").at("isError").as_bool());
}

TEST_F(TypedToolTest, AStructResultHasItsOwnSchemaAndContextIsOptional) {
  server_->AddTool(MakeTool<AddArgs>({.name = "sum"}, [](Context& ctx, const AddArgs& in) {
    EXPECT_FALSE(ctx.cancelled());
    return Sum{.sum = in.a + in.b, .spelled = in.a + in.b == 5 ? "five" : "other"};
  }));
  EXPECT_EQ(Tool("sum").at("outputSchema"), json::value(SchemaOf<Sum>()));
  auto r = Call("tools/call", {{"name", "sum"}, {"arguments", {{"a", 2}, {"b", 3}}}});
  EXPECT_EQ(r.at("result").at("structuredContent"), J(R"({"sum":5.0,"spelled":"five"})"));
}

TEST_F(TypedToolTest, BadInputIsAToolErrorNamingTheField) {
  server_->AddTool(MakeTool<Order>({.name = "order"}, [](const Order& o) { return "ordered " + o.sku; }));
  json::value args = J(kOrder);
  auto ok = Call("tools/call", {{"name", "order"}, {"arguments", args}});
  EXPECT_EQ(ok.at("result").at("content").at(0).at("text"), "ordered AB-1");

  args.as_object()["priority"] = 300;  // inside the schema's bounds only after the validator checks them
  auto bad = Call("tools/call", {{"name", "order"}, {"arguments", args}});
  EXPECT_EQ(bad.at("result").at("isError"), true);
  const std::string text(bad.at("result").at("content").at(0).at("text").as_string());
  EXPECT_NE(text.find("Invalid arguments for tool order"), std::string::npos) << text;
  EXPECT_NE(text.find("priority"), std::string::npos) << text;
}

// With check_structured_results, a result that breaks the tool's own
// outputSchema is the server's bug, not something to send.
TEST_F(TypedToolTest, StructuredResultsAreCheckedAgainstTheOutputSchema) {
  server_->AddTool({.name = "liar",
                    .output_schema = SchemaOf<Sum>(),
                    .handler = [](Context&, const json::object&) {
                      ToolResult r = ToolResult::Text("five");
                      r.structured_content = json::object{{"sum", "five"}, {"spelled", "five"}};
                      return r;
                    }});
  server_->AddTool({.name = "silent",
                    .output_schema = SchemaOf<Sum>(),
                    .handler = [](Context&, const json::object&) { return ToolResult::Text("no structure"); }});
  auto liar = Call("tools/call", {{"name", "liar"}});
  EXPECT_EQ(liar.at("error").at("code"), ErrorCode::kInternalError);
  EXPECT_NE(std::string(liar.at("error").at("message").as_string()).find("/sum"), std::string::npos)
      << json::serialize(liar);
  EXPECT_EQ(Call("tools/call", {{"name", "silent"}}).at("error").at("code"), ErrorCode::kInternalError);
}

TEST_F(TypedToolTest, AsyncToolsCompleteLater) {
  server_->AddTool(MakeAsyncTool<AddArgs, Sum>({.name = "later"}, [](Context ctx, AddArgs in, Reply<Sum> reply) {
    ctx.After(std::chrono::milliseconds(1), [in, reply] { reply(Sum{.sum = in.a * in.b, .spelled = "product"}); });
  }));
  auto r = Call("tools/call", {{"name", "later"}, {"arguments", {{"a", 2}, {"b", 3}}}});
  EXPECT_EQ(r.at("result").at("structuredContent"), J(R"({"sum":6.0,"spelled":"product"})"));
}

TEST_F(TypedToolTest, PromptsFromAStructOfStrings) {
  server_->AddPrompt(MakePrompt<Greeting>({.name = "greet", .description = "Greets someone"},
                                          [](const Greeting& g) { return "Say hello to " + g.name + "."; }));
  auto list = Call("prompts/list", {});
  const json::value& prompt = list.at("result").at("prompts").at(0);
  EXPECT_EQ(prompt.at("arguments"),
            J(R"([{"name":"name","description":"Whom to greet","required":true},{"name":"mood","required":false}])"))
      << json::serialize(prompt);
  auto got = Call("prompts/get", {{"name", "greet"}, {"arguments", {{"name", "Ada"}}}});
  EXPECT_EQ(got.at("result").at("messages").at(0).at("content").at("text"), "Say hello to Ada.");
  auto missing = Call("prompts/get", {{"name", "greet"}, {"arguments", json::object()}});
  EXPECT_EQ(missing.at("error").at("code"), ErrorCode::kInvalidParams);
}

}  // namespace
}  // namespace mcpx
