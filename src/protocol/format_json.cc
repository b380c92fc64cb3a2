// mcpx::FormatJson (mcpx/json.h).
#include <charconv>
#include <cmath>
#include <string>

#include "mcpx/json.h"

namespace mcpx {
namespace {

void Append(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::double_: {
      const double d = v.get_double();
      if (!std::isfinite(d)) {  // JSON has no such number
        out += "null";
        return;
      }
      char buffer[32];
      const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
      out.append(buffer, ec == std::errc() ? end : buffer);
      return;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const json::value& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        Append(item, out);
      }
      out += ']';
      return;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(json::string_view(key));
        out += ':';
        Append(item, out);
      }
      out += '}';
      return;
    }
    default:  // strings (escaped), integers, booleans, null: as Boost.JSON writes them
      out += json::serialize(v);
      return;
  }
}

}  // namespace

std::string FormatJson(const json::value& v) {
  std::string out;
  Append(v, out);
  return out;
}

}  // namespace mcpx
