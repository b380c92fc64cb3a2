#include "transport/http/request_parser.h"

#include <algorithm>
#include <utility>

#include <boost/beast/http/error.hpp>

namespace mcpx::transport::http {
namespace beast_http = boost::beast::http;

namespace {

void Shrink(std::string& s, std::size_t keep_bytes) {
  if (s.capacity() > keep_bytes) {
    std::string().swap(s);
  } else {
    s.clear();
  }
}

}  // namespace

void Request::Clear(std::size_t keep_bytes) {
  method = beast_http::verb::unknown;
  Shrink(target, keep_bytes);
  headers.Clear();
  ReleaseBody(keep_bytes);
  keep_alive = false;
}

void Request::ReleaseBody(std::size_t keep_bytes) {
  Shrink(body, keep_bytes);
  body_lease.Resize(body.capacity());  // shrinking always succeeds
}

std::string Request::TakeBody(ByteLease& lease) {
  lease = std::exchange(body_lease, ByteLease(body_lease.budget()));
  return std::exchange(body, std::string());
}

RequestParser::RequestParser(Request& request, const RequestLimits& limits)
    : request_(request), max_fields_(limits.max_fields), max_body_(limits.max_body_bytes) {
  request_.Clear();
  header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_bytes, UINT32_MAX)));
  body_limit(limits.max_body_bytes);
}

void RequestParser::on_request_impl(beast_http::verb method, string_view, string_view target, int,
                                    error_code&) {
  request_.method = method;
  request_.target.assign(target.data(), target.size());
}

void RequestParser::on_field_impl(beast_http::field name, string_view name_string, string_view value,
                                  error_code& ec) {
  if (++fields_ > max_fields_) {
    refusal_ = RequestRefusal::kTooManyFields;
    ec = beast_http::error::header_limit;
    return;
  }
  if (in_trailer_) return;  // trailers are counted and bounded, never kept
  if (!RecordHeader(request_.headers, name, {name_string.data(), name_string.size()},
                    {value.data(), value.size()})) {
    refusal_ = RequestRefusal::kDuplicateField;
    ec = beast_http::error::bad_field;
  }
}

void RequestParser::on_header_impl(error_code&) {
  in_trailer_ = true;
  request_.keep_alive = keep_alive();
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) {
  // Nothing is reserved from Content-Length: a client announcing 4 MiB and
  // sending nothing must not cost 4 MiB.
}

std::size_t RequestParser::on_body_impl(string_view body, error_code& ec) {
  return Append({body.data(), body.size()}, ec);
}

void RequestParser::on_chunk_header_impl(std::uint64_t, string_view, error_code&) {}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) {
  return Append({body.data(), body.size()}, ec);
}

void RequestParser::on_finish_impl(error_code&) {}

std::size_t RequestParser::Append(std::string_view data, error_code& ec) {
  std::string& body = request_.body;
  const std::size_t needed = body.size() + data.size();
  if (needed > body.capacity()) {
    // Geometric growth, never past the body limit (Beast enforces it).
    const std::size_t grown = std::min(std::max(needed, 2 * body.capacity()), std::max(needed, max_body_));
    if (!request_.body_lease.Resize(grown)) {
      refusal_ = RequestRefusal::kOverloaded;
      ec = beast_http::error::buffer_overflow;
      return 0;
    }
    body.reserve(grown);
    request_.body_lease.Resize(body.capacity());
  }
  body.append(data);
  return data.size();
}

}  // namespace mcpx::transport::http
