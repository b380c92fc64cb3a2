// engine::CompiledSchema with a schema and arguments parsed from the input
// (split at its first NUL byte; each must be a JSON object): the schema is
// compiled as a tool's inputSchema is at registration, and the arguments
// checked as a tools/call's are. Neither may throw, crash or hit undefined
// behaviour, whatever the schema; what it accepts has every required
// top-level property, and what it refuses as missing one at the top lacks it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "engine/schema.h"

namespace {

namespace json = mcpx::json;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "fuzz_arguments: %s\n", what);
  __builtin_trap();
}

bool ParseObject(std::string_view text, json::object& out) {
  std::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return false;
  out = std::move(v.get_object());
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  if (nul == std::string_view::npos) return 0;
  json::object schema;
  json::object arguments;
  if (!ParseObject(input.substr(0, nul), schema) || !ParseObject(input.substr(nul + 1), arguments)) {
    return 0;
  }
  std::string error;
  const auto compiled = mcpx::engine::CompiledSchema::Compile(schema, &error);
  if (!compiled) {
    if (error.empty()) Fail("refused a schema without saying why");
    return 0;
  }
  const std::string problem = compiled->Validate(json::value(arguments));
  if (!problem.empty()) {
    constexpr std::string_view kMissing = "missing required property '";
    // At the top level the message ends at the name's quote (nested ones say " at /...").
    if (problem.rfind(kMissing, 0) == 0 && problem.back() == '\'' &&
        problem.find("' at ") == std::string::npos) {
      const std::string missing = problem.substr(kMissing.size(), problem.size() - kMissing.size() - 1);
      if (arguments.contains(missing)) Fail("refused as missing a property that is present");
    }
    return 0;
  }
  // Accepted: every required property is present (when "required" is a
  // plain list of names, in the default dialect, 2020-12, without a "$ref"
  // whose siblings an older draft would ignore).
  if (schema.contains("$schema") || schema.contains("$ref")) return 0;
  const json::value* required = schema.if_contains("required");
  if (!required || !required->is_array()) return 0;
  for (const auto& name : required->get_array()) {
    if (!name.is_string()) return 0;
  }
  for (const auto& name : required->get_array()) {
    if (!arguments.contains(name.get_string())) Fail("accepted without a required property");
  }
  return 0;
}
