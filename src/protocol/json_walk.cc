#include "protocol/json_walk.h"

#include <cmath>

#include "absl/container/inlined_vector.h"

namespace mcpx::protocol {
namespace {

// Calls `visit(value)` for `root` and everything inside it, depth first;
// stops early when `visit` returns false. Returns false if it stopped.
template <typename Value, typename Visit>
bool Walk(Value& root, Visit visit) {
  absl::InlinedVector<Value*, 32> stack{&root};  // no allocation for small values
  while (!stack.empty()) {
    Value* v = stack.back();
    stack.pop_back();
    if (!visit(*v)) return false;
    if (v->is_object()) {
      for (auto& kv : v->get_object()) stack.push_back(&kv.value());
    } else if (v->is_array()) {
      for (auto& e : v->get_array()) stack.push_back(&e);
    }
  }
  return true;
}

bool Finite(const json::value& v) { return !v.is_double() || std::isfinite(v.get_double()); }

}  // namespace

bool AllFinite(const json::value& v) {
  if (v.is_double()) return std::isfinite(v.get_double());
  if (!v.is_structured()) return true;
  return Walk(v, Finite);
}

bool AllFinite(const json::object& o) {
  for (const auto& kv : o) {
    if (!AllFinite(kv.value())) return false;
  }
  return true;
}

void NullNonFinite(json::value& v) {
  Walk(v, [](json::value& x) {
    if (!Finite(x)) x = nullptr;
    return true;
  });
}

std::size_t ApproxBytes(const json::value& v, std::size_t stop_at) {
  std::size_t total = 0;
  Walk(v, [&](const json::value& x) {
    total += sizeof(json::value);
    if (x.is_string()) {
      total += x.get_string().size();
    } else if (x.is_object()) {
      for (const auto& kv : x.get_object()) total += sizeof(json::key_value_pair) + kv.key().size();
    } else if (x.is_array()) {
      total += 16;
    }
    return total <= stop_at;
  });
  return total;
}

}  // namespace mcpx::protocol
