// The vocabulary of bearer-token validation (OAuth 2.1 resource server, MCP
// authorization): who a token speaks for, why one is refused, and what a
// token must say to be accepted here. Shared by the JWT validator
// (jwt_validator.h) and token introspection (introspection.h).
//
// Thread safety: value types (thread-compatible).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mcpx::auth {

// Who an accepted token speaks for.
struct Principal {
  std::string issuer;                // "iss"
  std::string subject;               // "sub"; empty when absent
  std::string client_id;             // "client_id", else "azp"; empty when neither
  std::vector<std::string> scopes;   // "scope" (space-separated), else "scp" (array or string)
  std::int64_t expires_at = 0;       // "exp", seconds since the epoch; 0 when absent (introspection)
};

// Why a token is refused. Every one of them but kUnavailable is answered 401
// with WWW-Authenticate: Bearer error="invalid_token" (RFC 6750 section 3.1);
// kUnavailable says nothing about the token (the authorization server could
// not be asked) and is a temporary server-side failure (503), never cached.
enum class TokenError {
  kMalformed,             // not a compact JWS, bad base64url/JSON, bad header, claim of the wrong type
  kTooLarge,              // longer than kMaxTokenBytes
  kUnsupportedAlgorithm,  // "none", HS*, or an algorithm not in ValidatorOptions::algorithms
  kUnknownKey,            // no key of the set matches kid and alg (the set may need a refresh)
  kBadSignature,
  kExpired,
  kNotYetValid,           // "nbf" in the future
  kWrongIssuer,
  kWrongAudience,
  kMissingClaim,          // "exp", "iss" or "aud" absent
  kInactive,              // introspection said "active": false
  kUnavailable,           // introspection failed: no answer, not 200, not an answer, or too many calls in flight
};

// A short English phrase for WWW-Authenticate's error_description. Never
// contains anything from the token.
std::string_view Describe(TokenError error);

// Longest token accepted: bounds the work and memory an unauthenticated
// request can cause before its signature is checked.
inline constexpr std::size_t kMaxTokenBytes = 8 * 1024;

struct ValidatorOptions {
  // "iss" must equal this exactly. Empty matches no token (fail closed).
  std::string issuer;
  // The canonical URI of this MCP server (RFC 8707 resource indicator):
  // "aud", a string or an array, must contain it exactly. Empty matches none.
  std::string audience;
  // Clock skew tolerated on "exp" and "nbf", in seconds.
  std::int64_t leeway_s = 60;
  // Accepted JWS algorithms; names other than these three are ignored, so
  // "none" and HS* (symmetric: a resource server holds no shared secret) can
  // never be enabled.
  std::vector<std::string> algorithms = {"RS256", "ES256", "EdDSA"};
};

}  // namespace mcpx::auth
