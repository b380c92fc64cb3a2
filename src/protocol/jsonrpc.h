// JSON-RPC 2.0 message codec: turns untrusted bytes into one classified message,
// and builds the responses mcpx sends. Pure functions; thread-compatible.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "mcpx/json.h"

namespace mcpx::protocol {

struct ParseLimits {
  std::size_t max_depth = 64;  // deeper nesting is rejected as invalid
  std::size_t max_id_bytes = 256;  // longer string ids are rejected as invalid
};

// Longest string id accepted (the default of ParseLimits::max_id_bytes).
inline constexpr std::size_t kMaxIdBytes = 256;

// What a parsed message may hold per byte of its JSON text, at most about:
// Boost.JSON spends a 16-byte value on a 2-byte element ("0,"), 32 bytes on a
// 4-byte member ("a":0,). The byte budget charges parsed messages this much.
inline constexpr std::size_t kTreeBytesPerTextByte = 8;

enum class MessageKind { kRequest, kNotification, kResponse, kErrorResponse };

// One well-formed JSON-RPC message. `id` is a string or integer for requests and
// responses, null for notifications.
struct Message {
  MessageKind kind = MessageKind::kNotification;
  json::value id;            // string or int64; null for notifications
  std::string method;        // requests and notifications
  json::object params;       // requests and notifications; empty when absent
  json::value result;        // responses
  json::object error;        // error responses
  std::size_t wire_bytes = 0;  // length of the JSON text it was parsed from
  bool is_request() const { return kind == MessageKind::kRequest; }
  bool is_response() const {
    return kind == MessageKind::kResponse || kind == MessageKind::kErrorResponse;
  }
};

// Why a body is not a message. `code` is the JSON-RPC error to answer with;
// `id` is the request id when it could be recovered.
struct ParseFailure {
  int code;
  std::string message;
  json::value id;
};

struct ParseOutcome {
  std::optional<Message> message;
  std::optional<ParseFailure> failure;
};

// Parses one JSON-RPC message. Invalid UTF-8, malformed JSON, nesting beyond
// the limit and numbers out of double's range (1e400, which would become
// infinity) give -32700; valid JSON that is not a single JSON-RPC 2.0 message
// (batches, wrong version, null/fractional/over-long ids, bad params type)
// gives -32600. Duplicate object keys are accepted and the last one wins, as
// with JavaScript's JSON.parse (and so the official TypeScript SDK).
ParseOutcome Parse(std::string_view body, const ParseLimits& limits = {});

// Classifies an already-parsed value (used by tests and in-process calls).
ParseOutcome Classify(json::value value, const ParseLimits& limits = {});

// Canonical text of an id, usable as a map key ("7" and "\"7\"" differ).
std::string IdKey(const json::value& id);

// `extra_members` ("\"key\":value,..." text) are written into an object
// result after its own members: fixed fields added without touching the tree.
std::string SerializeResult(const json::value& id, const json::value& result, std::string_view extra_members = {});
// The same for a result already serialized (a JSON object's text).
std::string SerializeResultText(const json::value& id, std::string_view result, std::string_view extra_members = {});
std::string SerializeError(const json::value& id, int code, std::string_view message,
                           const json::value& data = nullptr);
std::string SerializeNotification(std::string_view method, const json::object& params);
std::string SerializeRequest(const json::value& id, std::string_view method,
                             const json::object& params);

}  // namespace mcpx::protocol
