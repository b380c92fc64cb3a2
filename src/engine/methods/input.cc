// Multi-round-trip requests under 2026-07-28 (basic/patterns/mrtr): what a
// retry brings back, and the input_required result that asks for it.
//
// The requestState the server hands out carries every answer so far, the
// round, an expiry and what it was issued for (method, name, a digest of the
// arguments), sealed (common/sealer.h) so that the client cannot forge or
// replay it elsewhere. A handler then runs from the start on each round and
// finds, through Context::Ask, the answers of earlier rounds as well as this
// one's.
#include <openssl/sha.h>

#include <algorithm>
#include <vector>

#include "engine/engine.h"
#include "engine/methods/methods.h"
#include "mcpx/error.h"

namespace mcpx::engine::methods {
namespace {

// JSON text with object keys sorted, so that the same arguments in another
// key order digest alike.
void Canonical(const json::value& v, std::string& out) {
  if (v.is_object()) {
    std::vector<const json::key_value_pair*> members;
    for (const auto& kv : v.get_object()) members.push_back(&kv);
    std::sort(members.begin(), members.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
    out.push_back('{');
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.append(json::serialize(json::string(members[i]->key()))).push_back(':');
      Canonical(members[i]->value(), out);
    }
    out.push_back('}');
  } else if (v.is_array()) {
    out.push_back('[');
    bool first = true;
    for (const json::value& e : v.get_array()) {
      if (!first) out.push_back(',');
      first = false;
      Canonical(e, out);
    }
    out.push_back(']');
  } else {
    out.append(json::serialize(v));
  }
}

std::string Binding(std::string_view method, std::string_view name, const json::value* arguments) {
  std::string binding(method);
  binding.append("\n").append(name).append("\n");
  // Absent, null and {} arguments are the same call.
  const bool none = arguments == nullptr || arguments->is_null() ||
                    (arguments->is_object() && arguments->get_object().empty());
  if (!none) {
    std::string text;
    Canonical(*arguments, text);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < 16; ++i) binding.append({kHex[digest[i] >> 4], kHex[digest[i] & 0xf]});
  }
  return binding;
}

// Who a round's state belongs to: a digest of the principal that asked
// (empty when unauthenticated), so that another principal presenting the
// state is refused as if it were forged.
std::string PrincipalTag(const RequestState& r) {
  if (!r.principal()) return {};
  const std::string& key = r.principal()->key;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag;
  for (std::size_t i = 0; i < 16; ++i) tag.append({kHex[digest[i] >> 4], kHex[digest[i] & 0xf]});
  return tag;
}

[[noreturn]] void BadState(std::string_view why) {
  throw Error(ErrorCode::kInvalidParams, "Invalid params: requestState " + std::string(why));
}

}  // namespace

void LoadInput(Engine& e, RequestState& r, const json::object& params, std::string_view name,
               const json::value* arguments) {
  if (!r.stateless()) return;  // sessions ask the client directly
  r.input_name() = name;
  if (const json::value* state = params.if_contains("requestState"); state && !state->is_null()) {
    if (!state->is_string()) BadState("must be a string");
    const std::optional<std::string> payload = e.sealer().Open(state->get_string());
    if (!payload) BadState("failed verification");
    boost::system::error_code ec;
    json::value opened = json::parse(*payload, ec);
    const json::object* o = !ec && opened.is_object() ? &opened.get_object() : nullptr;
    const json::value* answers = o ? o->if_contains("a") : nullptr;
    const json::value* round = o ? o->if_contains("r") : nullptr;
    const json::value* expires = o ? o->if_contains("exp") : nullptr;
    const json::value* binding = o ? o->if_contains("b") : nullptr;
    if (!answers || !answers->is_object() || !round || !round->is_int64() || !expires || !expires->is_int64() ||
        !binding || !binding->is_string()) {
      BadState("failed verification");
    }
    const json::value* owner = o->if_contains("p");
    const std::string_view owner_tag = owner && owner->is_string() ? std::string_view(owner->get_string()) : "";
    if (owner_tag != PrincipalTag(r)) BadState("failed verification");
    if (expires->get_int64() < e.WallMs()) BadState("has expired; start the request again");
    if (binding->get_string() != Binding(r.method(), name, arguments)) BadState("was issued for another request");
    r.input_answers() = answers->get_object();
    r.set_input_round(round->get_int64());
  }
  if (const json::value* responses = params.if_contains("inputResponses"); responses && responses->is_object()) {
    for (const auto& [key, answer] : responses->get_object()) r.input_answers()[key] = answer;
  }
}

json::object InputRequiredResult(Engine& e, RequestState& r) {
  const json::value arguments = r.input_arguments() ? json::value(*r.input_arguments()) : json::value();
  json::object payload{{"a", r.input_answers()},
                       {"r", r.input_round() + 1},
                       {"exp", e.WallMs() + e.options().request_state_ttl.count()},
                       {"b", Binding(r.method(), r.input_name(), &arguments)}};
  if (std::string tag = PrincipalTag(r); !tag.empty()) payload["p"] = std::move(tag);
  return {{"resultType", "input_required"},
          {"inputRequests", std::move(r.input_asked())},
          {"requestState", e.sealer().Seal(json::serialize(payload))}};
}

}  // namespace mcpx::engine::methods
