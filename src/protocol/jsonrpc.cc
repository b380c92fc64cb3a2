#include "protocol/jsonrpc.h"

#include <string>
#include <type_traits>
#include <utility>

#include "mcpx/error.h"
#include "protocol/json_walk.h"

namespace mcpx::protocol {
namespace {

ParseOutcome Fail(int code, std::string message, json::value id = nullptr) {
  ParseOutcome out;
  out.failure = ParseFailure{code, std::move(message), std::move(id)};
  return out;
}

// Appends the JSON text of `v` (a value, an object, or a string_view taken as
// a JSON string) to `out`, without a temporary string or value.
template <typename T>
void AppendJson(std::string& out, const T& v) {
  if constexpr (!std::is_same_v<T, std::string_view>) {
    if (!AllFinite(v)) {
      // JSON has no infinity or NaN: written as null, as JSON.stringify does
      // (a copy, on this rare path only).
      json::value copy(v);
      NullNonFinite(copy);
      AppendJson(out, copy);
      return;
    }
  }
  json::serializer sr;
  if constexpr (std::is_same_v<T, std::string_view>) {
    sr.reset(v);
  } else {
    sr.reset(&v);
  }
  char buf[1024];
  while (!sr.done()) {
    const std::string_view part = sr.read(buf, sizeof buf);
    out.append(part.data(), part.size());
  }
}

// Appends `,"name":` and the JSON text of `v`.
template <typename T>
void AppendMember(std::string& out, std::string_view name, const T& v) {
  out.append(",\"").append(name).append("\":");
  AppendJson(out, v);
}

// The envelope is written by hand around the serialized parts, so the result
// (or params) is never deep-copied into a temporary object.
std::string Envelope() {
  std::string out;
  out.reserve(128);
  out.append(R"({"jsonrpc":"2.0")");
  return out;
}

bool ValidId(const json::value& id) {
  // JSON-RPC allows numbers and strings; MCP forbids null. Fractional ids are
  // refused because they do not round-trip reliably.
  return id.is_string() || id.is_int64() || id.is_uint64();
}

}  // namespace

ParseOutcome Parse(std::string_view body, const ParseLimits& limits) {
  json::parse_options options;
  options.max_depth = limits.max_depth;
  options.allow_invalid_utf8 = false;
  std::error_code ec;
  json::value value = json::parse(body, ec, json::storage_ptr(), options);
  if (ec) {
    return Fail(ErrorCode::kParseError, "Parse error: " + ec.message());
  }
  if (!AllFinite(value)) {
    return Fail(ErrorCode::kParseError, "Parse error: number out of range");
  }
  ParseOutcome out = Classify(std::move(value), limits);
  if (out.message) out.message->wire_bytes = body.size();
  return out;
}

ParseOutcome Classify(json::value value, const ParseLimits& limits) {
  if (value.is_array()) {
    return Fail(ErrorCode::kInvalidRequest, "Invalid Request: batches are not supported");
  }
  if (!value.is_object()) {
    return Fail(ErrorCode::kInvalidRequest, "Invalid Request: not a JSON object");
  }
  json::object& obj = value.get_object();
  json::value id = nullptr;
  const bool has_id = obj.contains("id");
  if (has_id) id = obj.at("id");
  const bool id_ok = has_id && ValidId(id) && (!id.is_string() || id.get_string().size() <= limits.max_id_bytes);
  json::value reply_id = id_ok ? id : json::value(nullptr);

  const auto* version = obj.if_contains("jsonrpc");
  if (!version || !version->is_string() || version->get_string() != "2.0") {
    return Fail(ErrorCode::kInvalidRequest, "Invalid Request: jsonrpc must be \"2.0\"", reply_id);
  }
  if (has_id && !id_ok) {
    return Fail(ErrorCode::kInvalidRequest,
                "Invalid Request: id must be an integer or a string of at most " +
                    std::to_string(limits.max_id_bytes) + " bytes");
  }

  Message msg;
  const auto* method = obj.if_contains("method");
  if (method) {
    if (!method->is_string() || method->get_string().empty()) {
      return Fail(ErrorCode::kInvalidRequest, "Invalid Request: method must be a string", reply_id);
    }
    msg.method = std::string(method->get_string());
    // `value` is ours: move the parts out instead of copying them.
    if (auto* params = obj.if_contains("params")) {
      if (!params->is_object()) {
        // MCP uses named parameters only.
        return Fail(ErrorCode::kInvalidRequest, "Invalid Request: params must be an object",
                    reply_id);
      }
      msg.params = std::move(params->get_object());
    }
    msg.kind = has_id ? MessageKind::kRequest : MessageKind::kNotification;
    msg.id = std::move(id);
    return ParseOutcome{std::move(msg), std::nullopt};
  }

  // No method: a response to a request the server sent.
  if (!has_id) {
    return Fail(ErrorCode::kInvalidRequest, "Invalid Request: missing method");
  }
  auto* result = obj.if_contains("result");
  auto* error = obj.if_contains("error");
  if ((result != nullptr) == (error != nullptr)) {
    return Fail(ErrorCode::kInvalidRequest,
                "Invalid Request: a response has exactly one of result and error", reply_id);
  }
  msg.id = std::move(id);
  if (result) {
    msg.kind = MessageKind::kResponse;
    msg.result = std::move(*result);
  } else {
    if (!error->is_object()) {
      return Fail(ErrorCode::kInvalidRequest, "Invalid Request: error must be an object", reply_id);
    }
    msg.kind = MessageKind::kErrorResponse;
    msg.error = std::move(error->get_object());
  }
  return ParseOutcome{std::move(msg), std::nullopt};
}

std::string IdKey(const json::value& id) { return json::serialize(id); }

std::string SerializeResult(const json::value& id, const json::value& result, std::string_view extra_members) {
  std::string out = Envelope();
  AppendMember(out, "id", id);
  AppendMember(out, "result", result);
  if (!extra_members.empty() && result.is_object()) {
    out.pop_back();  // the result object's closing brace
    if (!result.get_object().empty()) out.push_back(',');
    out.append(extra_members).push_back('}');
  }
  out.push_back('}');
  return out;
}

std::string SerializeResultText(const json::value& id, std::string_view result, std::string_view extra_members) {
  std::string out = Envelope();
  AppendMember(out, "id", id);
  out.reserve(out.size() + result.size() + extra_members.size() + 16);
  out.append(",\"result\":").append(result);
  if (!extra_members.empty() && result.size() >= 2 && result.back() == '}') {
    out.pop_back();
    if (result != "{}") out.push_back(',');
    out.append(extra_members).push_back('}');
  }
  out.push_back('}');
  return out;
}

std::string SerializeError(const json::value& id, int code, std::string_view message,
                           const json::value& data) {
  std::string out = Envelope();
  AppendMember(out, "id", id);
  out.append(R"(,"error":{"code":)").append(std::to_string(code));
  AppendMember(out, "message", message);
  if (!data.is_null()) AppendMember(out, "data", data);
  out.append("}}");
  return out;
}

std::string SerializeNotification(std::string_view method, const json::object& params) {
  std::string out = Envelope();
  AppendMember(out, "method", method);
  if (!params.empty()) AppendMember(out, "params", params);
  out.push_back('}');
  return out;
}

std::string SerializeRequest(const json::value& id, std::string_view method,
                             const json::object& params) {
  std::string out = Envelope();
  AppendMember(out, "id", id);
  AppendMember(out, "method", method);
  AppendMember(out, "params", params);
  out.push_back('}');
  return out;
}

}  // namespace mcpx::protocol
