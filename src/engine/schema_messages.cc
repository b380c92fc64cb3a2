#include "engine/schema_messages.h"

#include <cstddef>

namespace mcpx::engine::schema_messages {

std::string EscapePointer(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// --- messages ---------------------------------------------------------------

std::string TypeName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "integer";
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "value";
}

namespace {

// valijson's context: "<root>", then "[name]" or "[index]" per level.
std::vector<std::string> Segments(const std::vector<std::string>& context) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < context.size(); ++i) {
    const std::string& c = context[i];
    if (i == 0 && c == "<root>") continue;
    if (c.size() >= 2 && c.front() == '[' && c.back() == ']') {
      out.push_back(c.substr(1, c.size() - 2));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Pointer(const std::vector<std::string>& segments) {
  std::string out;
  for (const auto& s : segments) out += "/" + EscapePointer(s);
  return out.empty() ? "/" : out;
}

const json::value* Child(const json::value& v, const std::string& segment) {
  if (v.is_object()) return v.get_object().if_contains(segment);
  if (v.is_array()) {
    std::size_t i = 0;
    for (char c : segment) {
      if (c < '0' || c > '9' || i > (std::size_t{1} << 40)) return nullptr;
      i = i * 10 + static_cast<std::size_t>(c - '0');
    }
    if (segment.empty() || i >= v.get_array().size()) return nullptr;
    return &v.get_array()[i];
  }
  return nullptr;
}

// The schema that applies at `segments`, following properties, items and
// local "$ref"s only (best effort, for the "expected ..." of a type error).
const json::value* SchemaAt(const json::value& root, const std::vector<std::string>& segments) {
  const json::value* s = &root;
  auto deref = [&](const json::value* x) -> const json::value* {
    for (int hops = 0; hops < 8 && x && x->is_object(); ++hops) {
      const auto* ref = x->get_object().if_contains("$ref");
      if (!ref || !ref->is_string() || x->get_object().size() != 1) break;
      const std::string_view r = ref->get_string();
      if (r.empty() || r[0] != '#') return nullptr;
      boost::system::error_code ec;
      x = root.find_pointer(r.substr(1), ec);
      if (ec) return nullptr;
    }
    return x;
  };
  s = deref(s);
  for (const auto& seg : segments) {
    if (!s || !s->is_object()) return nullptr;
    const auto& o = s->get_object();
    const json::value* next = nullptr;
    if (const auto* p = o.if_contains("properties"); p && p->is_object()) next = p->get_object().if_contains(seg);
    if (!next) {
      if (const auto* items = o.if_contains("items")) {
        if (items->is_object()) {
          next = items;
        } else if (items->is_array()) {
          next = Child(*items, seg);
          if (!next) next = o.if_contains("additionalItems");
        }
      }
    }
    if (!next) next = o.if_contains("additionalProperties");
    s = deref(next);
  }
  return s;
}

std::string ExpectedTypes(const json::value* schema) {
  if (!schema || !schema->is_object()) return {};
  const auto* type = schema->get_object().if_contains("type");
  if (!type) return {};
  if (type->is_string()) return std::string(type->get_string());
  if (!type->is_array()) return {};
  std::string out;
  for (const auto& t : type->get_array()) {
    if (!t.is_string()) continue;
    out += out.empty() ? "" : " or ";
    out += t.get_string();
  }
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Errors valijson adds above a failing child: they name no problem of their own.
bool Propagated(std::string_view d) {
  return StartsWith(d, "Failed to validate against schema associated with property name") ||
         StartsWith(d, "Failed to validate item #") || StartsWith(d, "Failed to validate against child schema") ||
         StartsWith(d, "Failed to validate against additional properties schema") ||
         StartsWith(d, "Failed to validate against schema associated with pattern") ||
         StartsWith(d, "Failed to validate against a conditional schema") ||
         StartsWith(d, "Failed to validate against dependent schema") ||
         StartsWith(d, "Failed to validate against additional items schema");
}

// anyOf/oneOf: which child failed says little, the alternatives together do.
const char* Combinator(std::string_view d) {
  if (StartsWith(d, "Failed to validate against any schemas allowed by anyOf")) return "anyOf";
  if (StartsWith(d, "Failed to validate against any child schemas allowed by oneOf")) return "oneOf";
  if (StartsWith(d, "Failed to validate against exactly one child schema")) return "oneOf!";
  return nullptr;
}

bool IsPrefix(const std::vector<std::string>& prefix, const std::vector<std::string>& of) {
  if (prefix.size() > of.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (prefix[i] != of[i]) return false;
  }
  return true;
}

std::string Describe(const valijson::ValidationResults::Error& e, const json::value& instance,
                     const json::value& schema) {
  const std::vector<std::string> segments = Segments(e.context);
  const std::string where = Pointer(segments);
  std::string d = e.description;
  if (StartsWith(d, "mcpx:")) return where + ": " + d.substr(5);
  if (StartsWith(d, "Missing required property '")) {
    const auto end = d.rfind('\'');
    const std::string name = d.substr(27, end > 27 ? end - 27 : 0);
    return "missing required property '" + name + "'" + (segments.empty() ? "" : " at " + where);
  }
  if (StartsWith(d, "Value type not permitted by 'type' constraint")) {
    const json::value* actual = &instance;
    for (const auto& s : segments) {
      actual = actual ? Child(*actual, s) : nullptr;
    }
    const std::string expected = ExpectedTypes(SchemaAt(schema, segments));
    const std::string got = actual ? TypeName(*actual) : "value";
    if (!expected.empty()) return where + ": expected " + expected + ", got " + got;
    return where + ": type " + got + " is not allowed";
  }
  if (StartsWith(d, "Object contains a property that could not be validated")) {
    const auto open = d.find(": '");
    const std::string name = open == std::string::npos ? std::string() : d.substr(open + 3, d.size() - open - 5);
    return where + ": property '" + name + "' is not allowed";
  }
  if (StartsWith(d, "Failed to match against any enum values")) return where + ": value is not one of the 'enum' values";
  if (StartsWith(d, "Failed to match expected value set by 'const'")) return where + ": value is not the 'const' value";
  if (StartsWith(d, "Target should not validate against schema specified in 'not'")) {
    return where + ": value matches the schema under 'not'";
  }
  while (!d.empty() && (d.back() == '.' || d.back() == ' ')) d.pop_back();
  if (!d.empty() && d[0] >= 'A' && d[0] <= 'Z' && !(d.size() > 1 && d[1] >= 'A' && d[1] <= 'Z')) {
    d[0] = static_cast<char>(d[0] - 'A' + 'a');
  }
  return where + ": " + d;
}

}  // namespace

std::string FirstProblem(const std::vector<valijson::ValidationResults::Error>& errors, const json::value& instance,
                         const json::value& schema) {
  if (errors.empty()) return "arguments do not match the tool's inputSchema";
  std::size_t leaf = errors.size();
  for (std::size_t i = 0; i < errors.size(); ++i) {
    if (!Propagated(errors[i].description) && !Combinator(errors[i].description)) {
      leaf = i;
      break;
    }
  }
  if (leaf == errors.size()) {
    for (const auto& e : errors) {
      if (const char* c = Combinator(e.description)) {
        const std::string where = Pointer(Segments(e.context));
        if (std::string_view(c) == "oneOf!") return where + ": value matches more than one of the 'oneOf' alternatives";
        return where + ": value matches none of the '" + c + "' alternatives";
      }
    }
    return Describe(errors.front(), instance, schema);
  }
  const std::string first = Describe(errors[leaf], instance, schema);
  for (std::size_t i = leaf + 1; i < errors.size(); ++i) {
    const char* c = Combinator(errors[i].description);
    if (c && std::string_view(c) != "oneOf!" && IsPrefix(errors[i].context, errors[leaf].context)) {
      const std::string where = Pointer(Segments(errors[i].context));
      std::string_view detail = first;
      if (StartsWith(detail, where + ": ")) detail.remove_prefix(where.size() + 2);
      return where + ": value matches none of the '" + c + "' alternatives (first alternative: " +
             std::string(detail) + ")";
    }
  }
  return first;
}

}  // namespace mcpx::engine::schema_messages
