#include "auth/token.h"

namespace mcpx::auth {

std::string_view Describe(TokenError error) {
  switch (error) {
    case TokenError::kMalformed: return "malformed token";
    case TokenError::kTooLarge: return "token too large";
    case TokenError::kUnsupportedAlgorithm: return "unsupported signing algorithm";
    case TokenError::kUnknownKey: return "unknown signing key";
    case TokenError::kBadSignature: return "invalid signature";
    case TokenError::kExpired: return "token expired";
    case TokenError::kNotYetValid: return "token not yet valid";
    case TokenError::kWrongIssuer: return "wrong issuer";
    case TokenError::kWrongAudience: return "token not issued for this resource";
    case TokenError::kMissingClaim: return "required claim missing";
    case TokenError::kInactive: return "token is not active";
    case TokenError::kUnavailable: return "token could not be checked now";
  }
  return "invalid token";
}

}  // namespace mcpx::auth
