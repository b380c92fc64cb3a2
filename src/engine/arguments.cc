#include "engine/arguments.h"

#include <cmath>
#include <string>

#include "mcpx/error.h"

namespace mcpx::engine {
namespace {

bool Matches(std::string_view type, const json::value& v) {
  if (type == "string") return v.is_string();
  if (type == "integer") {
    // A double is an integer when it has no fraction (1e300 is one); it is
    // never converted to an integer type, which would be undefined behaviour
    // outside that type's range.
    return v.is_int64() || v.is_uint64() ||
           (v.is_double() && std::isfinite(v.get_double()) && std::trunc(v.get_double()) == v.get_double());
  }
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_bool();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "null") return v.is_null();
  return true;  // unknown type keyword: not ours to judge
}

bool MatchesAny(const json::value& type, const json::value& v) {
  if (type.is_string()) return Matches(type.get_string(), v);
  if (type.is_array()) {
    for (const auto& t : type.get_array()) {
      if (t.is_string() && Matches(t.get_string(), v)) return true;
    }
    return false;
  }
  return true;
}

}  // namespace

void ValidateArguments(const json::object& schema, const json::object& arguments) {
  if (const auto* required = schema.if_contains("required"); required && required->is_array()) {
    for (const auto& name : required->get_array()) {
      if (name.is_string() && !arguments.contains(name.get_string())) {
        throw Error(ErrorCode::kInvalidParams,
                    "Invalid arguments: missing required property '" +
                        std::string(name.get_string()) + "'");
      }
    }
  }
  const auto* properties = schema.if_contains("properties");
  if (!properties || !properties->is_object()) return;
  for (const auto& [key, value] : arguments) {
    const auto* prop = properties->get_object().if_contains(key);
    if (!prop || !prop->is_object()) continue;
    const auto* type = prop->get_object().if_contains("type");
    if (type && !MatchesAny(*type, value)) {
      throw Error(ErrorCode::kInvalidParams,
                  "Invalid arguments: property '" + std::string(key) + "' has the wrong type");
    }
  }
}

}  // namespace mcpx::engine
