// A small blocking HTTP/1.1 client for talking to the authorization server:
// fetching its JWKS (GET jwks_uri) and, for opaque tokens, introspection
// (POST). https:// verifies the peer against the system trust store (plus an
// optional extra CA) and the host name, with SNI; plain http:// is refused
// except to loopback addresses unless allowed. One deadline covers the whole
// exchange (resolve, connect, TLS, request, response) and the response size
// is bounded. No redirects are followed.
//
// Blocking: call it from a background thread, never from an I/O thread.
// Thread safety: reentrant; each call has its own io_context.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "auth/result.h"

namespace mcpx::auth {

struct FetchOptions {
  std::chrono::milliseconds timeout{5000};  // the whole exchange
  std::size_t max_body_bytes = 256 * 1024;  // a larger response is kTooLarge
  std::string extra_ca_pem;                 // one more trust anchor (a private CA), PEM
  bool allow_remote_http = false;           // plain http:// beyond loopback (trusted networks only)
};

enum class FetchError {
  kBadUrl,       // not an absolute http(s) URL, or one with user:password@
  kInsecureUrl,  // http:// to a non-loopback host without allow_remote_http
  kResolve,
  kConnect,
  kTls,          // handshake failed, including certificate or host name verification
  kTimeout,
  kTooLarge,     // body over max_body_bytes, or an oversized header
  kProtocol,     // not a well-formed HTTP response, or the connection was cut
  kSystem,       // no socket or TLS context could be made
};
std::string_view Describe(FetchError error);

struct HttpReply {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

Result<HttpReply, FetchError> HttpGet(std::string_view url, const FetchOptions& options);

// `authorization`: the Authorization header value (client credentials for
// introspection), or empty for none.
Result<HttpReply, FetchError> HttpPost(std::string_view url, std::string_view body, std::string_view content_type,
                                       std::string_view authorization, const FetchOptions& options);

}  // namespace mcpx::auth
