// Base64url without padding (RFC 4648 section 5), as JWS (RFC 7515) uses it.
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mcpx::auth {

// The decoded bytes, or nullopt for any character outside the alphabet,
// padding, a length of 4n+1, or non-zero bits after the last byte (only the
// canonical encoding of a byte string is accepted).
std::optional<std::string> Base64UrlDecode(std::string_view in);

}  // namespace mcpx::auth
