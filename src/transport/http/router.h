// The MCP endpoint's decisions for one HTTP request, apart from socket I/O:
// which route it takes, which headers it must carry, what the engine's Port
// admits, and the exact answer (status, headers, JSON-RPC error) when it is
// refused. Connection does the reading and writing; these functions decide,
// so that every header and routing rule is unit-tested without sockets.
//
// Thread-compatible: called on the connection's I/O thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/beast/http/status.hpp>

#include "engine/port.h"
#include "mcpx/json.h"
#include "protocol/jsonrpc.h"
#include "transport/http/request_parser.h"
#include "transport/http/shared.h"
#include "transport/http/sse_stream.h"

namespace mcpx::transport::http {

namespace beast_http = boost::beast::http;

// A complete response: written as is, with Content-Length.
struct Answer {
  beast_http::status status = beast_http::status::ok;
  std::string_view content_type;  // a literal; empty: none
  std::string body;
  std::string headers;  // extra "Name: value\r\n" lines
  bool close = false;   // end the connection after it
};

// A JSON-RPC error as the body of an HTTP error.
Answer ErrorAnswer(beast_http::status status, int code, std::string_view message, const json::value& id = nullptr,
                   const json::value& data = nullptr);
// 503, -32000, "Retry-After: <retry_after_s>".
Answer UnavailableAnswer(const json::value& id, std::string_view message, std::string_view retry_after_s);
// The byte budget refused what this request needs (counted); the connection
// ends after it, since the rest of the request is not read.
Answer OverloadedAnswer(observe::Metrics& metrics);
// 429, -32000, "Retry-After: <retry_after_s>" (counted); the connection ends
// after it, since the rest of the request is not read.
Answer RateLimitedAnswer(observe::Metrics& metrics, std::int64_t retry_after_s);
// The answer to a message or stream the Port did not admit.
// A 403 for a scope carries WWW-Authenticate when `bearer` is set.
Answer RefusalAnswer(const engine::Admission& refused, const json::value& id = nullptr,
                     const BearerGate* bearer = nullptr);
// The 401 or 403 of a request the bearer gate refused.
Answer BearerAnswer(const BearerRefusal& refusal);

enum class Route : std::uint8_t { kAnswered, kPost, kGet, kDelete };
// Host and Origin, the path, /healthz and /metrics, the method. kAnswered
// fills `answer`.
Route RouteRequest(const Request& request, HttpShared& shared, Answer& answer);

// POST: Accept and Content-Type.
std::optional<Answer> CheckPost(const RequestHeaders& headers);

// A POSTed message the Port admitted: hand it to Port::Deliver.
struct Admitted {
  engine::SessionPtr session;  // null: stateless
  // Its initialize response, when the message opened `session`.
  std::string initialized;
};
// Admits a parsed POST body (answering a parse failure or a refusal).
std::variant<Answer, Admitted> AdmitPost(const protocol::ParseOutcome& parsed, const RequestHeaders& headers,
                                         HttpShared& shared);
// The answer to an initialize: its response, with the new session's id.
Answer InitializedAnswer(Admitted& admitted);

// GET: the stream to attach (the session's standalone stream, or the one
// Last-Event-ID names, resumed after `after`).
struct StreamChoice {
  engine::SessionPtr session;
  std::shared_ptr<SseStream> stream;
  std::optional<std::uint64_t> after;
};
std::variant<Answer, StreamChoice> AdmitGet(const RequestHeaders& headers, HttpShared& shared);

// DELETE: ends the session.
Answer Delete(const RequestHeaders& headers, HttpShared& shared);

}  // namespace mcpx::transport::http
