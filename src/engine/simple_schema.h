// The schemas most tools have, checked without a general validator: an
// object whose "properties" only constrain "type" to primitive types, and a
// "required" list (what the W1 tool and most hand-written tools declare).
// CompiledSchema uses it when a schema is no more than that, so such tools
// skip valijson's per-call cost (docs/decisions.md); it answers exactly as
// valijson does for these keywords, with the same messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mcpx/json.h"

namespace mcpx::engine {

class SimpleSchema {
 public:
  // The simple form of `schema`, or nullopt when it says more than that.
  static std::optional<SimpleSchema> From(const json::object& schema);

  // As CompiledSchema::Validate.
  std::string Validate(const json::value& instance) const;

 private:
  struct Property {
    std::string name;
    std::uint8_t types;  // a bit per JSON Schema type (Bit() in the .cc)
    std::string expected;  // "string", "number or null": for the message
  };
  std::vector<Property> properties_;
  std::vector<std::string> required_;
};

}  // namespace mcpx::engine
