#include "engine/simple_schema.h"

#include <cmath>
#include <string_view>

#include "engine/schema_messages.h"

namespace mcpx::engine {
namespace {

enum : std::uint8_t {
  kNull = 1,
  kBoolean = 2,
  kInteger = 4,
  kNumber = 8,
  kString = 16,
  kArray = 32,
  kObject = 64,
};

std::uint8_t Bit(std::string_view type) {
  if (type == "null") return kNull;
  if (type == "boolean") return kBoolean;
  if (type == "integer") return kInteger;
  if (type == "number") return kNumber;
  if (type == "string") return kString;
  if (type == "array") return kArray;
  if (type == "object") return kObject;
  return 0;
}

// What `v` is, as the validator sees it: an integral double within int64
// counts as an integer (2.0 is 2); integers are numbers too.
std::uint8_t KindOf(const json::value& v, const char** name) {
  switch (v.kind()) {
    case json::kind::null: *name = "null"; return kNull;
    case json::kind::bool_: *name = "boolean"; return kBoolean;
    case json::kind::int64: *name = "integer"; return kInteger | kNumber;
    case json::kind::uint64: *name = "integer"; return kNumber;  // beyond int64: as valijson
    case json::kind::double_: {
      *name = "number";
      const double d = v.get_double();
      const bool integral = std::isfinite(d) && std::trunc(d) == d && d >= -9223372036854775808.0 &&
                            d < 9223372036854775808.0;
      return integral ? kInteger | kNumber : kNumber;
    }
    case json::kind::string: *name = "string"; return kString;
    case json::kind::array: *name = "array"; return kArray;
    case json::kind::object: *name = "object"; return kObject;
  }
  *name = "value";
  return 0;
}

bool OnlyKeys(const json::object& o, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : o) {
    bool found = false;
    for (std::string_view a : allowed) found = found || key == a;
    if (!found) return false;
  }
  return true;
}

}  // namespace

std::optional<SimpleSchema> SimpleSchema::From(const json::object& schema) {
  if (!OnlyKeys(schema, {"type", "properties", "required", "title", "description", "$schema"})) return std::nullopt;
  if (const json::value* s = schema.if_contains("$schema");
      s && (!s->is_string() || s->get_string().find("2020-12") == json::string::npos)) {
    return std::nullopt;  // older drafts read some of these keywords differently
  }
  const json::value* type = schema.if_contains("type");
  if (!type || *type != "object") return std::nullopt;
  SimpleSchema out;
  if (const json::value* properties = schema.if_contains("properties")) {
    if (!properties->is_object()) return std::nullopt;
    for (const auto& [name, property] : properties->get_object()) {
      if (!property.is_object() || !OnlyKeys(property.get_object(), {"type", "title", "description"})) {
        return std::nullopt;
      }
      const json::value* t = property.get_object().if_contains("type");
      Property p{.name = std::string(name), .types = 0, .expected = {}};
      if (!t) continue;  // any value
      if (t->is_string()) {
        p.types = Bit(t->get_string());
        p.expected = std::string(t->get_string());
      } else if (t->is_array() && !t->get_array().empty()) {
        for (const json::value& item : t->get_array()) {
          if (!item.is_string() || Bit(item.get_string()) == 0) return std::nullopt;
          p.types |= Bit(item.get_string());
          p.expected += p.expected.empty() ? "" : " or ";
          p.expected += item.get_string();
        }
      }
      if (p.types == 0) return std::nullopt;
      if (name.find('\0') != json::string_view::npos) return std::nullopt;
      out.properties_.push_back(std::move(p));
    }
  }
  if (const json::value* required = schema.if_contains("required")) {
    if (!required->is_array()) return std::nullopt;
    for (const json::value& name : required->get_array()) {
      if (!name.is_string() || name.get_string().find('\0') != json::string_view::npos) return std::nullopt;
      out.required_.emplace_back(name.get_string());
    }
  }
  return out;
}

std::string SimpleSchema::Validate(const json::value& instance) const {
  const char* got = nullptr;
  const json::object* object = instance.if_object();
  if (!object) {
    KindOf(instance, &got);
    return std::string("/: expected object, got ") + got;
  }
  for (const std::string& name : required_) {
    if (!object->contains(name)) return "missing required property '" + name + "'";
  }
  for (const Property& p : properties_) {
    const json::value* v = object->if_contains(p.name);
    if (v && (KindOf(*v, &got) & p.types) == 0) return "/" + schema_messages::EscapePointer(p.name) + ": expected " + p.expected + ", got " + got;
  }
  return {};
}

}  // namespace mcpx::engine
