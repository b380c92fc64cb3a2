// valijson's validation errors as the one sentence a model reads: the first
// real problem, where it is (a JSON pointer) and what was expected, lifted to
// the innermost anyOf/oneOf that it made fail (engine/schema.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

// As in schema.cc, which must see valijson the same way (one definition).
#ifndef VALIJSON_USE_EXCEPTIONS
#define VALIJSON_USE_EXCEPTIONS 1
#endif
#include <valijson/validation_results.hpp>

#include "mcpx/json.h"

namespace mcpx::engine::schema_messages {

// `key` as a JSON pointer segment ("~" as "~0", "/" as "~1").
std::string EscapePointer(std::string_view key);
// The JSON Schema type of `v` ("integer" for int64 and uint64).
std::string TypeName(const json::value& v);
// The sentence for `errors` (valijson's, in its order) of `instance` against
// `schema` (the document valijson parsed).
std::string FirstProblem(const std::vector<valijson::ValidationResults::Error>& errors, const json::value& instance,
                         const json::value& schema);

}  // namespace mcpx::engine::schema_messages
