// ValidateJwt: accepts or refuses a JWT access token (RFC 9068 profile of a
// compact JWS, RFC 7515) presented to this resource server as a Bearer token.
//
//   auto who = ValidateJwt(token, *jwks_cache.Current(), options, now_s);
//   if (!who) {
//     if (who.error() == TokenError::kUnknownKey && jwks_cache.NoteUnknownKid(now_s)) ScheduleRefresh();
//     return Unauthorized(Describe(who.error()));
//   }
//
// Refused always: "alg" none and HS* (never in ValidatorOptions::algorithms),
// a "crit" header (no extension is understood), a "typ" other than at+jwt or
// JWT, and JWE (five segments). Keys come only from the KeySet: "jku", "jwk",
// "x5u" and "x5c" headers are ignored, or a token could bring its own key.
// The signature is checked before the payload is even decoded.
//
// Thread safety: pure function; `keys` may be shared by any number of threads.
#pragma once

#include <cstdint>
#include <string_view>

#include "auth/key_set.h"
#include "auth/result.h"
#include "auth/token.h"

namespace mcpx::auth {

// `now_s`: the current time, seconds since the epoch (injected, so tests and
// callers control the clock). The token is neither copied nor logged.
Result<Principal, TokenError> ValidateJwt(std::string_view compact_jws, const KeySet& keys,
                                          const ValidatorOptions& options, std::int64_t now_s);

}  // namespace mcpx::auth
