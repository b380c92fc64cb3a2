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
};

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

// Parses one JSON-RPC message. Invalid UTF-8, malformed JSON and nesting beyond
// the limit give -32700; valid JSON that is not a single JSON-RPC 2.0 message
// (batches, wrong version, null/fractional ids, bad params type) gives -32600.
ParseOutcome Parse(std::string_view body, const ParseLimits& limits = {});

// Classifies an already-parsed value (used by tests and in-process calls).
ParseOutcome Classify(json::value value);

// Canonical text of an id, usable as a map key ("7" and "\"7\"" differ).
std::string IdKey(const json::value& id);

std::string SerializeResult(const json::value& id, const json::value& result);
std::string SerializeError(const json::value& id, int code, std::string_view message,
                           const json::value& data = nullptr);
std::string SerializeNotification(std::string_view method, const json::object& params);
std::string SerializeRequest(const json::value& id, std::string_view method,
                             const json::object& params);

}  // namespace mcpx::protocol
