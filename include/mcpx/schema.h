// C++ types as JSON: the JSON Schema of a type, reading a value into it with
// errors that name the field, and writing it back. This is what typed tools
// and prompts (mcpx/typed.h) are made of; use it directly for anything else
// that crosses as JSON.
//
// Supported: bool, integer and floating-point types, std::string,
// std::optional<T> (may be absent), std::vector<T>, std::map<std::string, T>,
// json::value / json::object / json::array (anything, unchecked), enums
// described with BOOST_DESCRIBE_ENUM (as their names), and structs described
// with BOOST_DESCRIBE_STRUCT (as objects; members of described bases too).
// Anything else is a compile-time error saying so.
//
// What a member's type cannot say (a description, bounds, a pattern) is
// attached once, by a function found by argument-dependent lookup:
//
//   struct Forecast { std::string city; int days = 3; };
//   BOOST_DESCRIBE_STRUCT(Forecast, (), (city, days))
//   inline mcpx::FieldDocs McpxFields(const Forecast*) {
//     return {{"city", {.description = "City name"}},
//             {"days", {.description = "Days ahead", .minimum = 1, .maximum = 14, .required = false}}};
//   }
#pragma once

#include <charconv>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include <boost/core/demangle.hpp>
#include <boost/describe.hpp>  // BOOST_DESCRIBE_STRUCT and BOOST_DESCRIBE_ENUM for users too
#include <boost/mp11/algorithm.hpp>

#include "mcpx/json.h"

namespace mcpx {

// What a member's schema says beyond its type. Bounds apply where the
// member's type has them: minimum/maximum to numbers, lengths to strings,
// items to arrays. They are checked before a handler runs (the tool's whole
// input schema is).
struct FieldInfo {
  std::string_view description;
  std::optional<double> minimum;
  std::optional<double> maximum;
  std::optional<std::size_t> min_length;
  std::optional<std::size_t> max_length;
  std::optional<std::size_t> min_items;
  std::optional<std::size_t> max_items;
  std::string_view pattern;  // an ECMA-262 regular expression strings must match
  std::string_view format;   // "date-time", "email", "uri", ...: a hint for clients
  // A member that is not std::optional is required unless this is false;
  // then it may be absent, keeps the value its type's default constructor
  // gives it, and the schema shows that value as "default".
  std::optional<bool> required;
};

struct FieldDoc {
  std::string_view name;  // the member's name
  FieldInfo info;
};
using FieldDocs = std::vector<FieldDoc>;

namespace schema_detail {

template <typename>
inline constexpr bool kAlwaysFalse = false;

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <typename T>
struct IsVector : std::false_type {};
template <typename T, typename A>
struct IsVector<std::vector<T, A>> : std::true_type {};
template <typename T>
struct IsStringMap : std::false_type {};
template <typename T, typename C, typename A>
struct IsStringMap<std::map<std::string, T, C, A>> : std::true_type {};

template <typename T>
inline constexpr bool kIsStruct = std::is_class_v<T> && boost::describe::has_describe_members<T>::value;
template <typename T>
inline constexpr bool kIsEnum = std::is_enum_v<T> && boost::describe::has_describe_enumerators<T>::value;
template <typename T>
inline constexpr bool kIsInteger = std::is_integral_v<T> && !std::is_same_v<T, bool>;

template <typename T>
concept Documented = requires(const T* p) {
  { McpxFields(p) } -> std::convertible_to<FieldDocs>;
};

template <typename T>
using Members = boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>;

template <typename T>
void Unsupported() {
  static_assert(kAlwaysFalse<T>,
                "mcpx: this type has no JSON mapping. Use bool, an integer or floating-point type, std::string, "
                "std::optional<T>, std::vector<T>, std::map<std::string, T>, json::value, json::object, "
                "json::array, an enum described with BOOST_DESCRIBE_ENUM, or a struct described with "
                "BOOST_DESCRIBE_STRUCT(Type, (), (member, ...)) next to its definition.");
}

template <typename T>
std::string TypeName() {
  return boost::core::demangle(typeid(T).name());
}

// The docs of T's members, by name. With `check`, a doc naming no member
// throws std::invalid_argument; without, it is left out.
template <typename T>
std::map<std::string_view, FieldInfo> DocsOf(bool check) {
  std::map<std::string_view, FieldInfo> docs;
  if constexpr (Documented<T>) {
    for (const FieldDoc& doc : McpxFields(static_cast<const T*>(nullptr))) {
      bool found = false;
      boost::mp11::mp_for_each<Members<T>>([&](auto d) { found = found || doc.name == d.name; });
      if (found) {
        docs[doc.name] = doc.info;
      } else if (check) {
        throw std::invalid_argument("McpxFields of " + TypeName<T>() + " documents '" + std::string(doc.name) +
                                    "', which is not one of its described members");
      }
    }
  }
  return docs;
}

// Whether T's member `name` may be absent though not std::optional
// (FieldInfo::required false); the docs are read once.
template <typename T>
bool MayBeAbsent(std::string_view name) {
  if constexpr (Documented<T>) {
    static const std::map<std::string_view, FieldInfo> docs = DocsOf<T>(false);
    auto it = docs.find(name);
    return it != docs.end() && it->second.required == false;
  } else {
    return false;
  }
}

inline const char* KindOf(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: return "an object";
    case json::kind::array: return "an array";
    case json::kind::string: return "a string";
    case json::kind::bool_: return "a boolean";
    case json::kind::null: return "null";
    default: return "a number";
  }
}

// Where a value is, for error messages: "/address/zip", or "" at the top.
class Path {
 public:
  void Push(std::string_view segment) {
    marks_.push_back(text_.size());
    text_ += '/';
    text_ += segment;
  }
  void Push(std::size_t index) { Push(std::to_string(index)); }
  void Pop() {
    text_.resize(marks_.back());
    marks_.pop_back();
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::vector<std::size_t> marks_;
};

// Sets *error to "<problem> at <path>" and returns false.
inline bool Wrong(const Path& path, std::string* error, std::string problem) {
  *error = path.text().empty() ? std::move(problem) : path.text() + ": " + problem;
  return false;
}

template <typename T>
json::object SchemaOf(int depth);
template <typename T>
bool Read(const json::value& v, T& out, Path& path, std::string* error);
template <typename T>
json::value Write(const T& value);

inline void Apply(const FieldInfo& info, json::object& schema) {
  if (!info.description.empty()) schema["description"] = info.description;
  if (info.minimum) schema["minimum"] = *info.minimum;
  if (info.maximum) schema["maximum"] = *info.maximum;
  // As signed integers, the way a parsed schema holds small numbers.
  const auto count = [](std::size_t n) { return static_cast<std::int64_t>(n); };
  if (info.min_length) schema["minLength"] = count(*info.min_length);
  if (info.max_length) schema["maxLength"] = count(*info.max_length);
  if (info.min_items) schema["minItems"] = count(*info.min_items);
  if (info.max_items) schema["maxItems"] = count(*info.max_items);
  if (!info.pattern.empty()) schema["pattern"] = info.pattern;
  if (!info.format.empty()) schema["format"] = info.format;
}

template <typename T>
json::object StructSchema(int depth) {
  const auto docs = DocsOf<T>(true);
  const T defaults{};
  json::object properties;
  json::array required;
  boost::mp11::mp_for_each<Members<T>>([&](auto d) {
    using M = std::remove_cvref_t<decltype(std::declval<T&>().*d.pointer)>;
    json::object schema = SchemaOf<M>(depth + 1);
    bool is_required = !IsOptional<M>::value;
    if (auto it = docs.find(d.name); it != docs.end()) {
      Apply(it->second, schema);
      if (it->second.required == false && is_required) {
        is_required = false;
        schema["default"] = Write(defaults.*d.pointer);
      }
    }
    properties[d.name] = std::move(schema);
    if (is_required) required.push_back(json::string(d.name));
  });
  json::object schema{{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) schema["required"] = std::move(required);
  return schema;
}

template <typename T>
json::object SchemaOf(int depth) {
  if (depth > 32) {
    throw std::invalid_argument("mcpx: " + TypeName<T>() +
                                " nests more than 32 levels deep: recursive types have no JSON Schema here");
  }
  if constexpr (std::is_same_v<T, bool>) {
    return {{"type", "boolean"}};
  } else if constexpr (kIsInteger<T>) {
    json::object schema{{"type", "integer"}};
    if constexpr (std::is_unsigned_v<T>) schema["minimum"] = 0;
    if constexpr (sizeof(T) < 8) {
      if constexpr (std::is_signed_v<T>) schema["minimum"] = std::int64_t{std::numeric_limits<T>::min()};
      schema["maximum"] = std::int64_t{std::numeric_limits<T>::max()};
    }
    return schema;
  } else if constexpr (std::is_floating_point_v<T>) {
    return {{"type", "number"}};
  } else if constexpr (std::is_same_v<T, std::string>) {
    return {{"type", "string"}};
  } else if constexpr (IsOptional<T>::value) {
    return SchemaOf<typename T::value_type>(depth);
  } else if constexpr (IsVector<T>::value) {
    return {{"type", "array"}, {"items", SchemaOf<typename T::value_type>(depth + 1)}};
  } else if constexpr (IsStringMap<T>::value) {
    return {{"type", "object"}, {"additionalProperties", SchemaOf<typename T::mapped_type>(depth + 1)}};
  } else if constexpr (std::is_same_v<T, json::value>) {
    return {};
  } else if constexpr (std::is_same_v<T, json::object>) {
    return {{"type", "object"}};
  } else if constexpr (std::is_same_v<T, json::array>) {
    return {{"type", "array"}};
  } else if constexpr (kIsEnum<T>) {
    json::array names;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>(
        [&](auto e) { names.push_back(json::string(e.name)); });
    return {{"type", "string"}, {"enum", std::move(names)}};
  } else if constexpr (kIsStruct<T>) {
    return StructSchema<T>(depth);
  } else {
    Unsupported<T>();
    return {};
  }
}

template <typename T>
bool ReadInteger(const json::value& v, T& out, Path& path, std::string* error) {
  using L = std::numeric_limits<T>;
  const auto range = [&] {
    return Wrong(path, error,
                 "expected an integer from " + std::to_string(L::min()) + " to " + std::to_string(L::max()) +
                     ", got " + json::serialize(v));
  };
  if (const std::int64_t* i = v.if_int64()) {
    if constexpr (std::is_signed_v<T>) {
      if (*i < std::int64_t{L::min()} || *i > std::int64_t{L::max()}) return range();
    } else {
      if (*i < 0 || static_cast<std::uint64_t>(*i) > std::uint64_t{L::max()}) return range();
    }
    out = static_cast<T>(*i);
    return true;
  }
  if (const std::uint64_t* u = v.if_uint64()) {
    if (*u > static_cast<std::uint64_t>(L::max())) return range();
    out = static_cast<T>(*u);
    return true;
  }
  if (const double* d = v.if_double()) {
    // 2.0 is the integer 2 (JSON Schema says so); compared as doubles, so
    // no out-of-range conversion (undefined behaviour) is ever made.
    // The bounds: min is exact as a double, max + 1 is a power of two.
    const double upper = (static_cast<double>(L::max() / 2) + 1.0) * 2.0;
    if (!(*d >= static_cast<double>(L::min()) && *d < upper)) return range();
    if (static_cast<double>(static_cast<T>(*d)) != *d) {
      return Wrong(path, error, "expected an integer, got " + json::serialize(v));
    }
    out = static_cast<T>(*d);
    return true;
  }
  return Wrong(path, error, std::string("expected an integer, got ") + KindOf(v));
}

template <typename T>
bool ReadStruct(const json::object* object, T& out, Path& path, std::string* error) {
  bool ok = true;
  boost::mp11::mp_for_each<Members<T>>([&](auto d) {
    if (!ok) return;
    using M = std::remove_cvref_t<decltype(out.*d.pointer)>;
    const json::value* member = object->if_contains(d.name);
    if (!member || member->is_null()) {
      if constexpr (IsOptional<M>::value) {
        out.*d.pointer = std::nullopt;
        return;
      } else {
        if (member == nullptr && MayBeAbsent<T>(d.name)) return;
        if (member == nullptr) {
          ok = Wrong(path, error, "missing required property '" + std::string(d.name) + "'");
          return;
        }
      }
    }
    path.Push(d.name);
    ok = Read(*member, out.*d.pointer, path, error);
    path.Pop();
  });
  return ok;
}

template <typename T>
bool Read(const json::value& v, T& out, Path& path, std::string* error) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_bool()) return Wrong(path, error, std::string("expected a boolean, got ") + KindOf(v));
    out = v.get_bool();
    return true;
  } else if constexpr (kIsInteger<T>) {
    return ReadInteger(v, out, path, error);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!v.is_number()) return Wrong(path, error, std::string("expected a number, got ") + KindOf(v));
    const double d = v.to_number<double>();
    if (d > static_cast<double>(std::numeric_limits<T>::max()) ||
        d < static_cast<double>(std::numeric_limits<T>::lowest())) {
      return Wrong(path, error, "the number " + json::serialize(v) + " is out of range");
    }
    out = static_cast<T>(d);
    return true;
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) return Wrong(path, error, std::string("expected a string, got ") + KindOf(v));
    out.assign(v.get_string().data(), v.get_string().size());
    return true;
  } else if constexpr (IsOptional<T>::value) {
    if (v.is_null()) {
      out.reset();
      return true;
    }
    return Read(v, out.emplace(), path, error);
  } else if constexpr (IsVector<T>::value) {
    const json::array* array = v.if_array();
    if (!array) return Wrong(path, error, std::string("expected an array, got ") + KindOf(v));
    out.clear();
    out.reserve(array->size());
    for (std::size_t i = 0; i < array->size(); ++i) {
      path.Push(i);
      const bool ok = Read((*array)[i], out.emplace_back(), path, error);
      path.Pop();
      if (!ok) return false;
    }
    return true;
  } else if constexpr (IsStringMap<T>::value) {
    const json::object* object = v.if_object();
    if (!object) return Wrong(path, error, std::string("expected an object, got ") + KindOf(v));
    out.clear();
    for (const auto& [key, value] : *object) {
      path.Push(key);
      const bool ok = Read(value, out[std::string(key)], path, error);
      path.Pop();
      if (!ok) return false;
    }
    return true;
  } else if constexpr (std::is_same_v<T, json::value>) {
    out = v;
    return true;
  } else if constexpr (std::is_same_v<T, json::object>) {
    if (!v.is_object()) return Wrong(path, error, std::string("expected an object, got ") + KindOf(v));
    out = v.get_object();
    return true;
  } else if constexpr (std::is_same_v<T, json::array>) {
    if (!v.is_array()) return Wrong(path, error, std::string("expected an array, got ") + KindOf(v));
    out = v.get_array();
    return true;
  } else if constexpr (kIsEnum<T>) {
    const json::string* s = v.if_string();
    bool found = false;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>([&](auto e) {
      if (s && !found && *s == e.name) {
        out = e.value;
        found = true;
      }
    });
    if (found) return true;
    std::string names;  // only for the message
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>([&](auto e) {
      names += names.empty() ? "'" : ", '";
      names += e.name;
      names += "'";
    });
    return Wrong(path, error,
                 "expected one of " + names + ", got " + (s ? "'" + std::string(*s) + "'" : std::string(KindOf(v))));
  } else if constexpr (kIsStruct<T>) {
    const json::object* object = v.if_object();
    if (!object) return Wrong(path, error, std::string("expected an object, got ") + KindOf(v));
    return ReadStruct(object, out, path, error);
  } else {
    Unsupported<T>();
    return false;
  }
}

template <typename T>
json::value Write(const T& value) {
  if constexpr (std::is_same_v<T, bool> || kIsInteger<T> || std::is_floating_point_v<T>) {
    return json::value(value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return json::string(value);
  } else if constexpr (IsOptional<T>::value) {
    return value ? Write(*value) : json::value(nullptr);
  } else if constexpr (IsVector<T>::value) {
    json::array array;
    array.reserve(value.size());
    for (const auto& item : value) array.push_back(Write(item));
    return array;
  } else if constexpr (IsStringMap<T>::value) {
    json::object object;
    for (const auto& [key, item] : value) object[key] = Write(item);
    return object;
  } else if constexpr (std::is_same_v<T, json::value> || std::is_same_v<T, json::object> ||
                       std::is_same_v<T, json::array>) {
    return json::value(value);
  } else if constexpr (kIsEnum<T>) {
    json::value name = nullptr;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>([&](auto e) {
      if (name.is_null() && value == e.value) name = json::string(e.name);
    });
    return name;
  } else if constexpr (kIsStruct<T>) {
    json::object object;
    boost::mp11::mp_for_each<Members<T>>([&](auto d) {
      using M = std::remove_cvref_t<decltype(value.*d.pointer)>;
      if constexpr (IsOptional<M>::value) {
        if (!(value.*d.pointer)) return;  // absent, as the schema allows
      }
      object[d.name] = Write(value.*d.pointer);
    });
    return object;
  } else {
    Unsupported<T>();
    return nullptr;
  }
}

}  // namespace schema_detail

// The JSON Schema of T (draft 2020-12 keywords). Throws
// std::invalid_argument for docs naming no member or a recursive type.
template <typename T>
json::object SchemaOf() {
  return schema_detail::SchemaOf<T>(0);
}

// Reads `v` into `out`. Empty when it fits; otherwise the first problem,
// naming where it is: "/address/zip: expected an integer, got a string",
// "/items/2: missing required property 'sku'". Never throws for any input.
template <typename T>
std::string FromJson(const json::value& v, T& out) {
  std::string error;
  schema_detail::Path path;
  schema_detail::Read(v, out, path, &error);
  return error;
}

// The same for a described struct read from an object (no copy into a value).
template <typename T>
  requires schema_detail::kIsStruct<T>
std::string FromJson(const json::object& object, T& out) {
  std::string error;
  schema_detail::Path path;
  schema_detail::ReadStruct(&object, out, path, &error);
  return error;
}

// `value` as JSON: structs as objects (absent optionals left out), enums as
// their names.
template <typename T>
json::value ToJson(const T& value) {
  return schema_detail::Write(value);
}

}  // namespace mcpx
