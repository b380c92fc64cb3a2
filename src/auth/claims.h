// The claim checks shared by JWT validation and token introspection: a
// verified claims object in, a Principal or the reason for refusal out.
// Internal to src/auth. Thread safety: pure function.
#pragma once

#include <cstdint>

#include "auth/result.h"
#include "auth/token.h"
#include "mcpx/json.h"

namespace mcpx::auth {

// A JWT access token must carry "exp" (RFC 9068 section 2.2); an
// introspection response may leave it out (RFC 7662 section 2.2).
enum class ExpPolicy { kRequired, kOptional };

// Checks, in this order: exp (with leeway), nbf (with leeway), iat's type,
// iss (exactly options.issuer), aud (a string equal to, or an array holding,
// options.audience); then reads sub, client_id/azp and scope/scp.
Result<Principal, TokenError> PrincipalFromClaims(const json::object& claims, const ValidatorOptions& options,
                                                  std::int64_t now_s, ExpPolicy exp_policy);

}  // namespace mcpx::auth
