// protocol::Parse on arbitrary bytes. Every message it accepts is re-encoded
// with the serializer its kind calls for, parsed again, and must come back as
// the same message; everything the serializers write must be JSON.
//
// Doubles are compared to within a few ulps: Boost.JSON 1.81 (Debian 12)
// parses long decimal mantissas imprecisely (precise parsing came in 1.83),
// so parse(serialize(x)) may differ from x in the last bit, e.g.
// 123450000000000000000010529755. That is a property of the JSON library,
// not of mcpx's codec.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>

#include "mcpx/error.h"
#include "protocol/jsonrpc.h"

namespace {

using mcpx::json::value;
namespace json = mcpx::json;
namespace protocol = mcpx::protocol;

[[noreturn]] void Fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "fuzz_jsonrpc: %s\n%.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  __builtin_trap();
}

// Whatever the serializers write must be JSON (the envelope adds one level to
// what Parse accepted, so the depth limit is generous).
json::value MustBeJson(const std::string& text) {
  json::parse_options options;
  options.max_depth = 1024;
  options.allow_invalid_utf8 = false;
  std::error_code ec;
  json::value v = json::parse(text, ec, json::storage_ptr(), options);
  if (ec) Fail("serialized text is not JSON", text);
  return v;
}

// Equal JSON, doubles to within a few ulps (see the top of the file).
bool Same(const value& a, const value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double();
    const double y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-15 * std::fmax(std::fabs(x), std::fabs(y));
  }
  if (a.is_object() && b.is_object()) {
    const json::object& x = a.get_object();
    const json::object& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& [key, v] : x) {
      const value* w = y.if_contains(key);
      if (!w || !Same(v, *w)) return false;
    }
    return true;
  }
  if (a.is_array() && b.is_array()) {
    const json::array& x = a.get_array();
    const json::array& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!Same(x[i], y[i])) return false;
    }
    return true;
  }
  return a == b;
}

bool ValidId(const value& id) { return id.is_string() || id.is_int64() || id.is_uint64(); }

void CheckRoundTrip(const protocol::Message& m) {
  std::string text;
  switch (m.kind) {
    case protocol::MessageKind::kRequest:
      text = protocol::SerializeRequest(m.id, m.method, m.params);
      break;
    case protocol::MessageKind::kNotification:
      text = protocol::SerializeNotification(m.method, m.params);
      break;
    case protocol::MessageKind::kResponse:
      text = protocol::SerializeResult(m.id, m.result);
      break;
    case protocol::MessageKind::kErrorResponse: {
      // SerializeError writes {code, message, data?}: only errors of that
      // shape can come back unchanged.
      const auto* code = m.error.if_contains("code");
      const auto* message = m.error.if_contains("message");
      const auto* data = m.error.if_contains("data");
      if (!code || !code->is_int64() || !message || !message->is_string()) return;
      const std::int64_t c = code->get_int64();
      if (c < std::numeric_limits<int>::min() || c > std::numeric_limits<int>::max()) return;
      if (m.error.size() != 2u + (data ? 1u : 0u)) return;
      if (data && data->is_null()) return;  // written as absent
      text = protocol::SerializeError(m.id, static_cast<int>(c), message->get_string(),
                                      data ? *data : value(nullptr));
      break;
    }
  }
  MustBeJson(text);
  protocol::ParseOutcome again = protocol::Parse(text);
  if (!again.message) Fail("re-encoded message does not parse", text);
  const protocol::Message& r = *again.message;
  if (r.kind != m.kind) Fail("kind changed", text);
  if (r.method != m.method) Fail("method changed", text);
  if (r.id != m.id || json::serialize(r.id) != json::serialize(m.id)) Fail("id changed", text);
  if (!Same(value(r.params), value(m.params))) Fail("params changed", text);
  if (!Same(r.result, m.result)) Fail("result changed", text);
  if (!Same(value(r.error), value(m.error))) Fail("error changed", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  protocol::ParseOutcome out = protocol::Parse(body);
  if (out.message.has_value() == out.failure.has_value()) Fail("exactly one of message and failure", body);

  if (out.failure) {
    const protocol::ParseFailure& f = *out.failure;
    if (f.code != mcpx::ErrorCode::kParseError && f.code != mcpx::ErrorCode::kInvalidRequest) {
      Fail("unexpected failure code", f.message);
    }
    if (!f.id.is_null() && !ValidId(f.id)) Fail("failure id neither null, string nor integer", body);
    // The error answer the transport would send is JSON.
    MustBeJson(protocol::SerializeError(f.id, f.code, f.message));
    return 0;
  }

  const protocol::Message& m = *out.message;
  switch (m.kind) {
    case protocol::MessageKind::kRequest:
      if (!ValidId(m.id) || m.method.empty()) Fail("request without id or method", body);
      break;
    case protocol::MessageKind::kNotification:
      if (!m.id.is_null() || m.method.empty()) Fail("notification with id or without method", body);
      break;
    case protocol::MessageKind::kResponse:
    case protocol::MessageKind::kErrorResponse:
      if (!ValidId(m.id) || !m.method.empty()) Fail("response without id or with method", body);
      break;
  }
  // IdKey is canonical JSON of the id.
  if (!m.id.is_null() && MustBeJson(protocol::IdKey(m.id)) != m.id) Fail("IdKey does not round-trip", body);
  CheckRoundTrip(m);
  // The answers the engine builds around this message are JSON too.
  if (m.is_request()) {
    MustBeJson(protocol::SerializeResult(m.id, value(m.params)));
    MustBeJson(protocol::SerializeError(m.id, mcpx::ErrorCode::kMethodNotFound, m.method, value(m.params)));
  }
  return 0;
}
