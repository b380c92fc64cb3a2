#include "engine/methods/params.h"

#include <charconv>

namespace mcpx::engine::methods {

std::string RequireString(const json::object& params, std::string_view key) {
  const auto* v = params.if_contains(key);
  if (!v || !v->is_string()) {
    throw Error(ErrorCode::kInvalidParams, "Invalid params: '" + std::string(key) + "' must be a string");
  }
  return std::string(v->get_string());
}

json::object OptionalObject(const json::object& params, std::string_view key) {
  const json::object* o = FindObject(params, key);
  return o ? *o : json::object();
}

json::object TakeOptionalObject(json::object& params, std::string_view key) {
  json::object* o = FindObject(params, key);
  return o ? std::move(*o) : json::object();
}

std::size_t ParseCursor(const json::object& params) {
  const auto* v = params.if_contains("cursor");
  if (!v || v->is_null()) return 0;
  std::size_t offset = 0;
  if (v->is_string()) {
    const auto s = v->get_string();
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), offset);
    if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) return offset;
  }
  throw Error(ErrorCode::kInvalidParams, "Invalid params: unknown cursor");
}

}  // namespace mcpx::engine::methods
