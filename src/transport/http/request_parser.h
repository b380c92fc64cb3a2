// One HTTP/1.1 request parsed from untrusted bytes: Beast's basic_parser does
// the framing (request line, fields, Content-Length or chunked body, limits),
// and this parser keeps only what the transport reads: the method, the
// target, a handful of headers and the body. Nothing else is stored, so
// trailers and unknown fields cost no memory, and no field is large enough to
// make Beast throw.
//
// Limits, each reported as an error code (never an exception):
//   - at most `max_fields` fields, header and trailer together (431);
//   - a second Host, Origin, Content-Type, Mcp-Session-Id,
//     MCP-Protocol-Version or Last-Event-ID (400, RFC 9112 3.2 for Host);
//   - the body grows as bytes arrive (never reserved from Content-Length), and
//     its capacity is charged to the byte budget; a refused charge ends the
//     parse (503).
// The header limit and body limit are Beast's (header_limit, body_limit).
// Trailer bytes are bounded by the connection's read buffer.
//
// Thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/verb.hpp>

#include "common/byte_budget.h"
#include "transport/http/request_checks.h"

namespace mcpx::transport::http {

// What the transport keeps of one request. Owned by the connection and reused
// across its requests: small buffers keep their capacity, large ones are
// freed (Clear).
struct Request {
  boost::beast::http::verb method = boost::beast::http::verb::unknown;
  std::string target;
  RequestHeaders headers;
  std::string body;
  ByteLease body_lease;  // charges body.capacity()
  bool keep_alive = false;

  // Empties the request; buffers over `keep_bytes` are freed.
  void Clear(std::size_t keep_bytes = 4096);
  // Frees the body (after it was parsed or refused).
  void ReleaseBody(std::size_t keep_bytes = 4096);
  // Moves the body and its charge out (to be parsed elsewhere); the request
  // keeps charging the same budget for its next body.
  std::string TakeBody(ByteLease& lease);
};

struct RequestLimits {
  std::size_t max_header_bytes = 16 << 10;
  std::size_t max_body_bytes = 4 << 20;
  std::size_t max_fields = 100;
};

// Why a parse stopped that Beast's own error code does not say.
enum class RequestRefusal : std::uint8_t { kNone, kTooManyFields, kDuplicateField, kOverloaded };

class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  // `request` is cleared and filled; it must outlive the parser.
  RequestParser(Request& request, const RequestLimits& limits);

  RequestRefusal refusal() const { return refusal_; }

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb method, string_view method_str, string_view target,
                       int version, error_code& ec) override;
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, error_code& ec) override;
  std::size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, string_view extensions, error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, string_view body, error_code& ec) override;
  void on_finish_impl(error_code& ec) override;

  std::size_t Append(std::string_view data, error_code& ec);

  Request& request_;
  const std::size_t max_fields_;
  const std::size_t max_body_;
  std::size_t fields_ = 0;
  bool in_trailer_ = false;
  RequestRefusal refusal_ = RequestRefusal::kNone;
};

}  // namespace mcpx::transport::http
