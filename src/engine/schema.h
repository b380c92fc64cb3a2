// A tool's inputSchema compiled once, at registration, into a JSON Schema
// validator (valijson, kept out of this header), and the check of one call's
// arguments against it. Drafts 3, 4, 7, 2019-09 and 2020-12; no "$schema"
// means 2020-12, the MCP default. docs/decisions.md lists what is checked and
// what is only an annotation.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mcpx/json.h"

namespace mcpx::engine {

class CompiledSchema {
 public:
  // Compiles `schema`. On failure returns nullptr and sets *error (when not
  // null) to a sentence naming the keyword and its JSON pointer. Never throws.
  static std::shared_ptr<const CompiledSchema> Compile(const json::object& schema, std::string* error);

  // Empty when `instance` is valid; otherwise one sentence naming the first
  // failing location as a JSON pointer and the problem, e.g.
  // "/address/zip: expected integer, got string" or
  // "missing required property 'city' at /address". Never throws; safe on
  // hostile input of any size and depth (deep values and over-long strings
  // checked against a pattern are refused, not recursed into).
  std::string Validate(const json::value& instance) const;

  // 2019-09/2020-12 keywords found in the schema that are not enforced
  // (e.g. "unevaluatedProperties"): validation is weaker than the schema
  // says. Registration may log them; it does not fail.
  const std::vector<std::string>& IgnoredKeywords() const;

  struct Impl;
  explicit CompiledSchema(std::unique_ptr<Impl> impl);
  ~CompiledSchema();
  CompiledSchema(const CompiledSchema&) = delete;
  CompiledSchema& operator=(const CompiledSchema&) = delete;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpx::engine
