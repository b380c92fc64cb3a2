// The MCP endpoint's bearer authentication (HttpOptions::auth, mcpx/auth.h):
// mcpx as an OAuth 2.1 resource server.
//
//   Check        the Authorization header of one request: its principal,
//                or the 401 (RFC 6750, with resource_metadata per RFC 9728)
//                or 403 (a scope every request needs) to answer, or, for a
//                token only the authorization server can judge (opaque, or
//                any token when no keys are configured) and not in the
//                introspection cache, "pending";
//   Introspect   asks the introspection endpoint (RFC 7662) about a pending
//                token, off the I/O thread; Conclude turns its answer into
//                the principal or the refusal, on the connection's thread;
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
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "auth/introspector.h"
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
  std::int64_t expires_at_s = 0;  // trusted until then (leeway included)
};

// Why Check refused: the 401 or 403 to answer (RouteRequest words it).
struct BearerRefusal {
  unsigned status = 401;  // or 403; 503 when introspection could not be done
  std::string www_authenticate;  // the header's value
  std::string message;           // the JSON-RPC error's message
};

// A token to introspect (Check found it neither decidable locally nor cached).
struct BearerPending {
  std::string token;
};

using BearerVerdict = std::variant<engine::PrincipalPtr, BearerRefusal>;

class BearerGate {
 public:
  // Reads the JWKS file or fetches jwks_uri (blocking: at start). `resource`
  // is AuthOptions::resource with the listener's URL filled in. Null with
  // `error` set when the options cannot work.
  static std::unique_ptr<BearerGate> Make(const AuthOptions& options, std::string resource, std::string* error);
  ~BearerGate();

  // `authorization`: the header's value ("" when absent). `now_s`: seconds
  // since the epoch. On success the principal; the memo is updated.
  std::variant<engine::PrincipalPtr, BearerRefusal, BearerPending> Check(std::string_view authorization,
                                                                         std::int64_t now_s, BearerMemo& memo) const;
  // For a pending token: calls `done` exactly once with the introspection
  // outcome, at once on this thread or later on one of the authorization
  // calls' threads (keep alive what it touches; it may run after this gate
  // is gone).
  void Introspect(std::string token, std::int64_t now_s,
                  std::function<void(auth::Introspector::Outcome)> done) const;
  // The verdict on an introspection outcome. Not remembered in a
  // connection's memo: each request asks the cache again, so a token revoked
  // at the authorization server is refused as soon as its entry expires.
  BearerVerdict Conclude(const auth::Introspector::Outcome& outcome) const;

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
  // A valid token's principal, unless a scope every request needs is
  // missing; with `memo`, remembered there until `memo_until_s`.
  BearerVerdict Admit(const auth::Principal& who, std::string_view token, std::int64_t memo_until_s,
                      BearerMemo* memo) const;
  void Fetch(std::int64_t now_s);

  const AuthOptions options_;
  const std::string resource_;
  std::string metadata_url_;
  std::string metadata_path_;  // /.well-known/oauth-protected-resource<path of resource>
  std::string metadata_;
  auth::ValidatorOptions validator_;
  mutable auth::JwksCache keys_;
  const bool local_keys_;  // jwks_file or jwks_uri: JWTs are checked here
  std::unique_ptr<auth::Introspector> introspector_;  // introspection_uri set
  mutable std::atomic<bool> refresh_requested_{false};
  mutable std::atomic<std::int64_t> last_unavailable_log_s_{-10};  // steady clock, s
};

}  // namespace mcpx::transport::http
