#include "engine/schema.h"

// valijson reports schema errors by exception only when asked to; otherwise it
// prints and calls abort().
#define VALIJSON_USE_EXCEPTIONS 1
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/constraint_builder.hpp>
#include <valijson/constraints/concrete_constraints.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <cmath>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/schema_messages.h"
#include "engine/simple_schema.h"

namespace mcpx::engine {
namespace {

using schema_messages::EscapePointer;
using schema_messages::FirstProblem;
using schema_messages::TypeName;

// Schema nesting (keywords within keywords) accepted at registration.
constexpr std::size_t kMaxSchemaDepth = 128;
// Argument nesting accepted at validation. valijson recurses a few frames per
// level; mcpx's parser already stops at 64 by default (jsonrpc.h).
constexpr std::size_t kMaxInstanceDepth = 128;
// The longest string (or property name, under patternProperties) matched
// against a pattern. libstdc++'s std::regex recurses per character (about
// 0.6-1 KiB of stack a character for "^(a|b)*$": 2,000 characters overflow a
// 1 MiB stack, 13,000 an 8 MiB one); longer strings are refused rather than
// matched (docs/decisions.md).
constexpr std::size_t kMaxPatternInput = 1024;
// The longest array compared item by item under "uniqueItems" (valijson
// compares every pair: 1,000 items are 500,000 comparisons).
constexpr std::size_t kMaxUniqueItems = 1000;
// The keyword our safe pattern constraint is registered under; "pattern" is
// renamed to it before valijson parses the schema.
constexpr const char* kPatternKeyword = "x-mcpx-pattern";

std::string Shorten(std::string_view s, std::size_t max = 80) {
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max)) + "...";
}

bool CompilesAsRegex(std::string_view pattern, std::string* what) {
  try {
    std::regex re{std::string(pattern), std::regex::ECMAScript};
    return true;
  } catch (const std::exception& e) {
    *what = e.what();
    return false;
  }
}

// --- pattern, without unbounded recursion --------------------------------

class SafePattern final : public valijson::constraints::PolyConstraint {
 public:
  explicit SafePattern(const std::string& source)
      : source_(source), regex_(std::make_shared<const std::regex>(source, std::regex::ECMAScript)) {}

  bool validate(const valijson::adapters::Adapter& target, const std::vector<std::string>& context,
                valijson::ValidationResults* results) const override {
    if (!target.isString()) return true;
    const std::string s = target.getString();
    std::string problem;
    if (s.size() > kMaxPatternInput) {
      problem = "string of " + std::to_string(s.size()) + " bytes is too long to check against pattern '" +
                Shorten(source_) + "' (limit " + std::to_string(kMaxPatternInput) + " bytes)";
    } else {
      bool matched = false;
      try {
        matched = std::regex_search(s, *regex_);
      } catch (const std::exception&) {
        matched = false;
      }
      if (matched) return true;
      problem = "string does not match pattern '" + Shorten(source_) + "'";
    }
    if (results) results->pushError(context, "mcpx:" + problem);
    return false;
  }

 private:
  Constraint* cloneInto(void* ptr) const override { return new (ptr) SafePattern(*this); }
  size_t sizeOf() const override { return sizeof(SafePattern); }

  std::string source_;
  std::shared_ptr<const std::regex> regex_;
};

class SafePatternBuilder final : public valijson::ConstraintBuilder {
 public:
  valijson::constraints::Constraint* make(const valijson::adapters::Adapter& node) const override {
    if (!node.isString()) throw std::runtime_error("'pattern' must be a string");
    return new SafePattern(node.getString());
  }
};

// --- schema rewriting: 2020-12 onto valijson's draft 7 ---------------------

enum class Dialect { kDraft3, kDraft4, kDraft7, k2020 };

bool Is(std::string_view k, std::initializer_list<std::string_view> set) {
  for (auto s : set) {
    if (k == s) return true;
  }
  return false;
}

struct Rewriter {
  Dialect dialect = Dialect::k2020;
  std::string error;
  std::vector<std::string> ignored;
  bool has_pattern_properties = false;
  bool string_sensitive = false;
  bool unique_items = false;

  bool Fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }

  static std::string At(const std::string& ptr) { return ptr.empty() ? "/" : ptr; }

  // valijson reads names and strings up to the first NUL ("a\u0000b" would be
  // required as "a"): a schema with one is refused.
  bool NoNul(const json::value& v, const std::string& ptr, std::size_t depth) {
    if (depth > kMaxSchemaDepth) {
      return Fail("schema is nested deeper than " + std::to_string(kMaxSchemaDepth) + " levels at " + At(ptr));
    }
    if (v.is_string() && v.get_string().find('\0') != json::string_view::npos) {
      return Fail("schema has a string with a NUL character at " + At(ptr));
    }
    if (v.is_array()) {
      for (std::size_t i = 0; i < v.get_array().size(); ++i) {
        if (!NoNul(v.get_array()[i], ptr + "/" + std::to_string(i), depth + 1)) return false;
      }
    }
    if (v.is_object()) {
      for (const auto& [k, child] : v.get_object()) {
        if (k.find('\0') != json::string_view::npos) return Fail("schema has a name with a NUL character at " + At(ptr));
        if (!NoNul(child, ptr + "/" + EscapePointer(k), depth + 1)) return false;
      }
    }
    return true;
  }

  bool SchemaMap(const json::value& in, json::value& out, const std::string& ptr, std::size_t depth,
                 bool regex_keys) {
    if (!in.is_object()) {
      out = in;  // valijson names the problem
      return true;
    }
    json::object o;
    for (const auto& [k, v] : in.get_object()) {
      if (k.find('\0') != json::string_view::npos) return Fail("schema has a name with a NUL character at " + At(ptr));
      std::string what;
      if (regex_keys && !CompilesAsRegex(k, &what)) {
        return Fail("invalid regular expression '" + Shorten(k) + "' in 'patternProperties' at " + At(ptr) +
                    ": " + what);
      }
      json::value sub;
      if (!Schema(v, sub, ptr + "/" + EscapePointer(k), depth + 1)) return false;
      o[k] = std::move(sub);
    }
    out = std::move(o);
    return true;
  }

  bool SchemaArray(const json::value& in, json::value& out, const std::string& ptr, std::size_t depth) {
    if (!in.is_array()) {
      out = in;
      return true;
    }
    json::array a;
    const auto& arr = in.get_array();
    a.reserve(arr.size());
    for (std::size_t i = 0; i < arr.size(); ++i) {
      json::value sub;
      if (!Schema(arr[i], sub, ptr + "/" + std::to_string(i), depth + 1)) return false;
      a.push_back(std::move(sub));
    }
    out = std::move(a);
    return true;
  }

  bool Schema(const json::value& in, json::value& out, const std::string& ptr, std::size_t depth) {
    if (depth > kMaxSchemaDepth) {
      return Fail("schema is nested deeper than " + std::to_string(kMaxSchemaDepth) + " levels at " + At(ptr));
    }
    if (!in.is_object()) {
      out = in;  // true/false schemas; anything else valijson refuses
      return true;
    }
    const auto& obj = in.get_object();
    for (const auto& [k, v] : obj) {
      if (k.find('\0') != json::string_view::npos) return Fail("schema has a name with a NUL character at " + At(ptr));
    }
    const bool prefix_items = dialect == Dialect::k2020 && obj.contains("prefixItems");
    json::object o;
    json::object dependencies;
    bool has_dependencies = false;
    for (const auto& [key, v] : obj) {
      const std::string_view k = key;
      const std::string here = ptr + "/" + EscapePointer(k);
      json::value sub;
      if (k == "pattern") {
        if (!v.is_string()) return Fail("'pattern' at " + here + " must be a string");
        std::string what;
        if (!CompilesAsRegex(v.get_string(), &what)) {
          return Fail("invalid regular expression in 'pattern' at " + here + ": " + what);
        }
        string_sensitive = true;
        o[kPatternKeyword] = v;
      } else if (k == "$ref") {
        // Only fragments of this schema: nothing is fetched, and valijson
        // resolves any other reference (even a relative "v") against this
        // same document, recursing without end (found by fuzz_arguments).
        if (!v.is_string() || v.get_string().empty() || v.get_string()[0] != '#') {
          return Fail("'$ref' at " + here + " must point into this schema ('#' or '#/...')");
        }
        o[key] = v;
      } else if (k == "format") {
        // An annotation, as 2019-09 and later have it by default.
      } else if (Is(k, {"properties", "definitions", "$defs"})) {
        if (!SchemaMap(v, sub, here, depth, false)) return false;
        o[key] = std::move(sub);
      } else if (k == "patternProperties") {
        has_pattern_properties = true;
        if (!SchemaMap(v, sub, here, depth, true)) return false;
        o[key] = std::move(sub);
      } else if (k == "dependencies" || (dialect == Dialect::k2020 && Is(k, {"dependentSchemas", "dependentRequired"}))) {
        if (!v.is_object()) {
          o[key] = v;
          continue;
        }
        has_dependencies = true;
        for (const auto& [name, dep] : v.get_object()) {
          if (name.find('\0') != json::string_view::npos) return Fail("schema has a name with a NUL character at " + here);
          if (dep.is_array() && k != "dependentSchemas") {
            if (!NoNul(dep, here + "/" + EscapePointer(name), depth + 1)) return false;
            dependencies[name] = dep;
          } else {
            if (!Schema(dep, sub, here + "/" + EscapePointer(name), depth + 1)) return false;
            dependencies[name] = std::move(sub);
          }
        }
      } else if (Is(k, {"additionalItems", "additionalProperties", "contains", "not", "if", "then", "else",
                        "propertyNames"})) {
        if (!Schema(v, sub, here, depth + 1)) return false;
        o[key] = std::move(sub);
      } else if (k == "items") {
        if (!(v.is_array() ? SchemaArray(v, sub, here, depth) : Schema(v, sub, here, depth + 1))) return false;
        o[prefix_items ? "additionalItems" : "items"] = std::move(sub);
      } else if (k == "prefixItems" && dialect == Dialect::k2020) {
        if (!SchemaArray(v, sub, here, depth)) return false;
        o["items"] = std::move(sub);
      } else if (Is(k, {"allOf", "anyOf", "oneOf"})) {
        if (!SchemaArray(v, sub, here, depth)) return false;
        o[key] = std::move(sub);
      } else {
        if (Is(k, {"enum", "const", "minLength", "maxLength"})) string_sensitive = true;
        if (k == "uniqueItems" && v.is_bool() && v.get_bool()) unique_items = true;
        if (Is(k, {"unevaluatedProperties", "unevaluatedItems", "$anchor", "$dynamicRef", "$dynamicAnchor",
                   "$recursiveRef", "$recursiveAnchor", "minContains", "maxContains", "contentSchema"}) ||
            (dialect != Dialect::k2020 && Is(k, {"prefixItems", "dependentSchemas", "dependentRequired"}))) {
          if (dialect == Dialect::k2020) ignored.push_back(here);
        }
        if (!NoNul(v, here, depth + 1)) return false;
        o[key] = v;
      }
    }
    if (has_dependencies) o["dependencies"] = std::move(dependencies);
    // 2019-09 and later apply "$ref" beside other keywords; draft 7 ignores
    // its siblings. Moved into allOf, both apply.
    if (dialect == Dialect::k2020 && o.contains("$ref")) {
      bool siblings = false;
      for (const auto& [k, v] : o) {
        if (!Is(k, {"$ref", "$schema", "$id", "$comment", "$defs", "definitions", "title", "description",
                    "default", "examples", "$anchor", "deprecated", "readOnly", "writeOnly"})) {
          siblings = true;
        }
      }
      if (siblings) {
        json::object ref;
        ref["$ref"] = o["$ref"];
        o.erase("$ref");
        auto& all = o["allOf"];
        if (!all.is_array()) all = json::array();
        all.as_array().push_back(std::move(ref));
      }
    }
    out = std::move(o);
    return true;
  }
};

Dialect DialectOf(const json::object& schema) {
  const auto* s = schema.if_contains("$schema");
  if (!s || !s->is_string()) return Dialect::k2020;
  const std::string_view uri = s->get_string();
  if (uri.find("draft-03") != std::string_view::npos) return Dialect::kDraft3;
  if (uri.find("draft-04") != std::string_view::npos) return Dialect::kDraft4;
  if (uri.find("draft-06") != std::string_view::npos || uri.find("draft-07") != std::string_view::npos) {
    return Dialect::kDraft7;
  }
  return Dialect::k2020;
}

// --- the instance: depth, strings valijson would misread, integral doubles --

struct Scan {
  bool string_sensitive = false;
  bool pattern_properties = false;
  bool unique_items = false;
  bool integral_doubles = false;
  std::string problem;  // without the location
  std::string where;    // JSON pointer, built while unwinding

  static bool IntegralInt64(double d) {
    // [-2^63, 2^63): representable as int64_t without undefined behaviour.
    return std::isfinite(d) && std::trunc(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0;
  }

  bool Walk(const json::value& v, std::size_t depth) {
    switch (v.kind()) {
      case json::kind::object:
        if (depth >= kMaxInstanceDepth) {
          problem = "value is nested deeper than " + std::to_string(kMaxInstanceDepth) + " levels";
          return false;
        }
        for (const auto& [k, child] : v.get_object()) {
          if (pattern_properties && k.size() > kMaxPatternInput) {
            problem = "property name of " + std::to_string(k.size()) +
                      " bytes is too long to check against 'patternProperties' (limit " +
                      std::to_string(kMaxPatternInput) + " bytes)";
            return false;
          }
          // Always: valijson would read "a\u0000b" as "a", satisfying "required": ["a"].
          if (k.find('\0') != json::string_view::npos) {
            problem = "property name contains a NUL character, which the validator cannot check";
            return false;
          }
          if (!Walk(child, depth + 1)) {
            where = "/" + EscapePointer(k) + where;
            return false;
          }
        }
        return true;
      case json::kind::array: {
        if (depth >= kMaxInstanceDepth) {
          problem = "value is nested deeper than " + std::to_string(kMaxInstanceDepth) + " levels";
          return false;
        }
        const auto& arr = v.get_array();
        if (unique_items && arr.size() > kMaxUniqueItems) {
          problem = "array of " + std::to_string(arr.size()) + " items is too long to check 'uniqueItems' (limit " +
                    std::to_string(kMaxUniqueItems) + " items)";
          return false;
        }
        for (std::size_t i = 0; i < arr.size(); ++i) {
          if (!Walk(arr[i], depth + 1)) {
            where = "/" + std::to_string(i) + where;
            return false;
          }
        }
        return true;
      }
      case json::kind::string:
        if (string_sensitive && v.get_string().find('\0') != json::string_view::npos) {
          problem = "string contains a NUL character, which the validator cannot check";
          return false;
        }
        return true;
      case json::kind::double_:
        if (IntegralInt64(v.get_double())) integral_doubles = true;
        return true;
      default:
        return true;
    }
  }
};

// 2.0 is an integer to JSON Schema, not to valijson: a copy with such doubles
// as int64. Depth is bounded by the scan before.
json::value IntegralToInt(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: {
      json::object o;
      o.reserve(v.get_object().size());
      for (const auto& [k, child] : v.get_object()) o[k] = IntegralToInt(child);
      return o;
    }
    case json::kind::array: {
      json::array a;
      a.reserve(v.get_array().size());
      for (const auto& child : v.get_array()) a.push_back(IntegralToInt(child));
      return a;
    }
    case json::kind::double_:
      if (Scan::IntegralInt64(v.get_double())) return static_cast<std::int64_t>(v.get_double());
      return v;
    default:
      return v;
  }
}

// Refuses schemas that apply themselves to the same value without end:
// a "$ref" that leads back, through "$ref", allOf/anyOf/oneOf, not or
// if/then/else alone (no step into a property or item), to where it started,
// as {"$ref":"#"} or {"allOf":[{"$ref":"#"}]}. valijson recurses on them
// until the stack overflows (found by fuzz_arguments), and no value could be
// checked against them anyway. Linear: each schema object is explored once.
class SelfApplication {
 public:
  explicit SelfApplication(const json::value& root) : root_(root) {}

  // Every schema object under `node` (depth bounded by the rewriter).
  bool Check(const json::value& node, std::string* error) {
    if (const json::array* array = node.if_array()) {
      for (const json::value& item : *array) {
        if (!Check(item, error)) return false;
      }
    } else if (const json::object* object = node.if_object()) {
      if (!Visit(&node, 0, error)) return false;
      for (const auto& [key, value] : *object) {
        if (!Check(value, error)) return false;
      }
    }
    return true;
  }

 private:
  bool Visit(const json::value* node, std::size_t depth, std::string* error) {
    if (!node || !node->is_object() || done_.count(node)) return true;
    if (on_path_.count(node) || depth > kMaxSchemaDepth) {
      *error = "its references apply a schema to the same value without end (a cycle of '$ref' through "
               "allOf/anyOf/oneOf/not/if/then/else)";
      return false;
    }
    on_path_.insert(node);
    const json::object& o = node->get_object();
    bool ok = true;
    if (const json::value* ref = o.if_contains("$ref"); ref && ref->is_string()) {
      boost::system::error_code ec;
      const json::value* target = root_.find_pointer(ref->get_string().subview(1), ec);
      if (!ec) ok = Visit(target, depth + 1, error);
    }
    for (const char* k : {"allOf", "anyOf", "oneOf"}) {
      if (const json::value* list = o.if_contains(k); ok && list && list->is_array()) {
        for (const json::value& item : list->get_array()) {
          if (!(ok = Visit(&item, depth + 1, error))) break;
        }
      }
    }
    for (const char* k : {"not", "if", "then", "else"}) {
      if (const json::value* sub = o.if_contains(k); ok && sub) ok = Visit(sub, depth + 1, error);
    }
    on_path_.erase(node);
    done_.insert(node);
    return ok;
  }

  const json::value& root_;
  std::set<const json::value*> on_path_;
  std::set<const json::value*> done_;
};

}  // namespace

struct CompiledSchema::Impl {
  std::optional<SimpleSchema> simple;  // set: checked without valijson
  json::value document;  // the rewritten schema valijson parsed
  valijson::Schema schema;
  std::vector<std::string> ignored;
  bool string_sensitive = false;
  bool pattern_properties = false;
  bool unique_items = false;
};

CompiledSchema::CompiledSchema(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledSchema::~CompiledSchema() = default;

const std::vector<std::string>& CompiledSchema::IgnoredKeywords() const { return impl_->ignored; }

std::shared_ptr<const CompiledSchema> CompiledSchema::Compile(const json::object& schema, std::string* error) {
  std::string ignored_error;
  if (!error) error = &ignored_error;
  try {
    Rewriter rewriter;
    rewriter.dialect = DialectOf(schema);
    auto impl = std::make_unique<Impl>();
    if (!rewriter.Schema(json::value(schema), impl->document, "", 0)) {
      *error = rewriter.error;
      return nullptr;
    }
    if (!SelfApplication(impl->document).Check(impl->document, error)) return nullptr;
    impl->ignored = std::move(rewriter.ignored);
    impl->string_sensitive = rewriter.string_sensitive;
    impl->pattern_properties = rewriter.has_pattern_properties;
    impl->unique_items = rewriter.unique_items;
    valijson::SchemaParser::Version version = valijson::SchemaParser::kDraft7;
    if (rewriter.dialect == Dialect::kDraft3) version = valijson::SchemaParser::kDraft3;
    if (rewriter.dialect == Dialect::kDraft4) version = valijson::SchemaParser::kDraft4;
    valijson::SchemaParser parser(version);
    parser.addConstraintBuilder(kPatternKeyword, new SafePatternBuilder());
    valijson::adapters::BoostJsonAdapter adapter(impl->document);
    parser.populateSchema(adapter, impl->schema);
    impl->simple = SimpleSchema::From(schema);
    return std::make_shared<const CompiledSchema>(std::move(impl));
  } catch (const std::exception& e) {
    *error = std::string("invalid inputSchema: ") + e.what();
  } catch (...) {
    *error = "invalid inputSchema";
  }
  return nullptr;
}

std::string CompiledSchema::Validate(const json::value& instance) const {
  if (impl_->simple) return impl_->simple->Validate(instance);
  try {
    Scan scan;
    scan.string_sensitive = impl_->string_sensitive;
    scan.pattern_properties = impl_->pattern_properties;
    scan.unique_items = impl_->unique_items;
    if (!scan.Walk(instance, 0)) return (scan.where.empty() ? "/" : scan.where) + ": " + scan.problem;
    json::value normalized;
    const json::value* target = &instance;
    if (scan.integral_doubles) {
      normalized = IntegralToInt(instance);
      target = &normalized;
    }
    valijson::Validator validator;
    valijson::adapters::BoostJsonAdapter adapter(*target);
    if (validator.validate(impl_->schema, adapter, nullptr)) return {};
    // The failure path only: validate again, collecting every error.
    valijson::ValidationResults results;
    valijson::Validator collecting;
    collecting.validate(impl_->schema, adapter, &results);
    std::vector<valijson::ValidationResults::Error> errors;
    valijson::ValidationResults::Error e;
    while (errors.size() < 256 && results.popError(e)) errors.push_back(e);
    return FirstProblem(errors, *target, impl_->document);
  } catch (const std::exception& e) {
    return std::string("arguments could not be validated: ") + e.what();
  } catch (...) {
    return "arguments could not be validated";
  }
}

}  // namespace mcpx::engine
