// The MCP endpoint's bearer authentication (HttpOptions::auth, mcpx/auth.h):
// mcpx as an OAuth 2.1 resource server.
//
//   Check        the Authorization header of one request: its principal,
//                or the 401 (RFC 6750, with resource_metadata per RFC 9728)
//                or 403 (a scope every request needs) to answer;
//   Metadata     GET /.well-known/oauth-protected-resource[<path>];
//   Refresh      the authorization server's keys, from jwks_uri, on a
//                worker (maintenance, or a token naming an unknown key).
//
// A connection keeps the last token it validated (BearerMemo): a client
// that sends the same token on a keep-alive connection costs one string
// comparison per request, not a signature check.
//
// Thread safety: safe for concurrent use (the key set is swapped whole).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "auth/jwks_cache.h"
#include "auth/token.h"
#include "engine/principal.h"
#include "mcpx/auth.h"
#include "mcpx/json.h"

namespace mcpx::transport::http {

// The last token a connection presented, and what it proved.
struct BearerMemo {
  std::string token;
  engine::PrincipalPtr principal;
  std::int64_t expires_at_s = 0;
};

// Why Check refused: the 401 or 403 to answer (RouteRequest words it).
struct BearerRefusal {
  unsigned status = 401;
  std::string www_authenticate;  // the header's value
  std::string message;           // the JSON-RPC error's message
};

class BearerGate {
 public:
  // Reads the JWKS file or fetches jwks_uri (blocking: at start). `resource`
  // is AuthOptions::resource with the listener's URL filled in. Null with
  // `error` set when the options cannot work.
  static std::unique_ptr<BearerGate> Make(const AuthOptions& options, std::string resource, std::string* error);

  // `authorization`: the header's value ("" when absent). `now_s`: seconds
  // since the epoch. On success the principal; the memo is updated.
  std::variant<engine::PrincipalPtr, BearerRefusal> Check(std::string_view authorization, std::int64_t now_s,
                                                          BearerMemo& memo) const;

  // The WWW-Authenticate value of a 403 for an item needing `scopes`.
  std::string InsufficientScope(const json::array& scopes) const;

  // The protected resource metadata (RFC 9728) and the paths it is served at.
  const std::string& metadata() const { return metadata_; }
  bool IsMetadataPath(std::string_view path) const;
  const std::string& resource() const { return resource_; }

  // Fetches jwks_uri again when due, or when a token named a key the set
  // lacks; blocks for the fetch: call on a worker. No-op for a JWKS file.
  void Maintain(std::int64_t now_s);
  // Whether a token named an unknown key since: Maintain should run soon.
  bool refresh_requested() const;

 private:
  BearerGate(const AuthOptions& options, std::string resource);
  BearerRefusal Unauthorized(std::string_view error_description) const;
  void Fetch(std::int64_t now_s);

  const AuthOptions options_;
  const std::string resource_;
  std::string metadata_url_;
  std::string metadata_path_;  // /.well-known/oauth-protected-resource<path of resource>
  std::string metadata_;
  auth::ValidatorOptions validator_;
  mutable auth::JwksCache keys_;
  mutable std::atomic<bool> refresh_requested_{false};
};

}  // namespace mcpx::transport::http
