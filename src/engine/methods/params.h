// Reading method params: each accessor throws mcpx::Error(-32602) naming the
// offending key, which the dispatcher turns into the request's error.
#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>

#include "mcpx/error.h"
#include "mcpx/json.h"

namespace mcpx::engine::methods {

std::string RequireString(const json::object& params, std::string_view key);

// The object at `key` (const or not, as `params`); null when absent or null.
// Throws -32602 when it is something else.
template <typename Object>
Object* FindObject(Object& params, std::string_view key) {
  auto* v = params.if_contains(key);
  if (!v || v->is_null()) return nullptr;
  if (!v->is_object()) {
    throw Error(ErrorCode::kInvalidParams, "Invalid params: '" + std::string(key) + "' must be an object");
  }
  return &v->get_object();
}

// A copy of the object at `key`, or an empty one.
json::object OptionalObject(const json::object& params, std::string_view key);
// OptionalObject for params the caller owns: moves the object out, no copy.
json::object TakeOptionalObject(json::object& params, std::string_view key);

// Cursors are the decimal offset of the next item; clients treat them as opaque.
std::size_t ParseCursor(const json::object& params);

// One page of a list result: `key` holds up to `page_size` items from
// `offset`, and nextCursor follows when more remain.
template <typename Items, typename ToJson>
json::object Page(const Items& items, std::size_t offset, std::size_t page_size, std::string_view key,
                  ToJson to_json) {
  json::array out;
  auto it = items.begin();
  std::advance(it, std::min(offset, items.size()));
  std::size_t taken = 0;
  for (; it != items.end() && taken < page_size; ++it, ++taken) out.push_back(to_json(*it));
  json::object result;
  result[key] = std::move(out);
  if (it != items.end()) result["nextCursor"] = std::to_string(offset + taken);
  return result;
}

}  // namespace mcpx::engine::methods
