// engine::ValidateArguments with a schema and arguments parsed from the input
// (split at its first NUL byte; each must be a JSON object). Invalid arguments
// throw mcpx::Error(-32602); anything else escaping (another exception, a
// crash, undefined behaviour) is a finding. What it accepts has every
// required property, and what it refuses for a missing property lacks it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "engine/arguments.h"
#include "mcpx/error.h"

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

  std::string missing;
  try {
    mcpx::engine::ValidateArguments(schema, arguments);
  } catch (const mcpx::Error& e) {
    if (e.code() != mcpx::ErrorCode::kInvalidParams) Fail("error code is not -32602");
    constexpr std::string_view kMissing = "Invalid arguments: missing required property '";
    if (e.message().rfind(kMissing, 0) == 0) {
      missing = e.message().substr(kMissing.size(), e.message().size() - kMissing.size() - 1);
      if (arguments.contains(missing)) Fail("refused as missing a property that is present");
    }
    return 0;
  }
  // Accepted: every required property is present.
  if (const auto* required = schema.if_contains("required"); required && required->is_array()) {
    for (const auto& name : required->get_array()) {
      if (name.is_string() && !arguments.contains(name.get_string())) Fail("accepted without a required property");
    }
  }
  return 0;
}
