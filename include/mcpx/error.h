// Errors that handlers report to the client.
//
// A tool that cannot do what it was asked throws mcpx::ToolError: the call
// ends with a tool result marked isError whose text is the message, which the
// model reads and can act on (wrong input, an API that failed, a business
// rule). mcpx::Error is for protocol-level failures, sent as a JSON-RPC
// error (or, for asynchronous handlers, Reply::Fail). Any other exception
// escaping a handler becomes -32603 "Internal error" for that request only;
// its what() is logged, and sent only with ServerOptions::expose_exception_messages.
//
// Example:
//   if (!known(city)) throw mcpx::ToolError("Unknown city '" + city + "': try a nearby larger town");
//   throw mcpx::Error(mcpx::ErrorCode::kInvalidParams, "cursor is not one of ours");
#pragma once

#include <stdexcept>
#include <string>

#include "mcpx/json.h"

namespace mcpx {

// JSON-RPC 2.0 and MCP error codes.
struct ErrorCode {
  static constexpr int kParseError = -32700;
  static constexpr int kInvalidRequest = -32600;
  static constexpr int kMethodNotFound = -32601;
  static constexpr int kInvalidParams = -32602;
  static constexpr int kInternalError = -32603;
  // Server-defined range (-32000 to -32099).
  static constexpr int kServerOverloaded = -32000;
  static constexpr int kRequestTimeout = -32001;
  static constexpr int kRequestCancelled = -32800;
  static constexpr int kResourceNotFound = -32002;  // 2025-11-25 resources; 2026-07-28 uses -32602
  // 2026-07-28: a header missing or not matching the body; a capability the
  // request needs that the client did not declare; a revision not spoken.
  static constexpr int kHeaderMismatch = -32020;
  static constexpr int kMissingCapability = -32021;
  static constexpr int kUnsupportedProtocolVersion = -32022;
};

class Error : public std::runtime_error {
 public:
  Error(int code, std::string message, json::value data = nullptr)
      : std::runtime_error(message), code_(code), message_(std::move(message)), data_(std::move(data)) {}

  int code() const { return code_; }
  const std::string& message() const { return message_; }
  const json::value& data() const { return data_; }

 private:
  int code_;
  std::string message_;
  json::value data_;
};

// A tool's failure to be reported to the model as a tool result with
// isError: true (SEP-1303). Thrown outside a tools/call handler (a prompt, a
// resource read), it is a -32603 error carrying the message.
class ToolError : public std::runtime_error {
 public:
  explicit ToolError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace mcpx
