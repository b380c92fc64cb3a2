// Walks over parsed JSON values for the checks a whole-tree property needs:
// finite numbers, and an estimate of the memory a value holds. Iterative, so
// depth costs no stack. Thread-compatible.
#pragma once

#include <cstddef>

#include "mcpx/json.h"

namespace mcpx::protocol {

// False when a double in `v` is infinite or NaN (Boost.JSON parses 1e400 as
// infinity, and would serialize it as the non-JSON "Infinity").
bool AllFinite(const json::value& v);
bool AllFinite(const json::object& o);
// Replaces every non-finite double in `v` with null.
void NullNonFinite(json::value& v);

// An estimate of the bytes `v` holds (its nodes and strings), counted until it
// passes `stop_at` (then some value above it is returned): a bound can be
// checked in time proportional to the bound, not to the value.
std::size_t ApproxBytes(const json::value& v, std::size_t stop_at);

}  // namespace mcpx::protocol
