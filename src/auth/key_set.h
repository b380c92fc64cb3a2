// KeySet: the authorization server's signing keys, read from its JSON Web Key
// Set (RFC 7517, published at its jwks_uri), and the JWS signature check with
// them. Supports RSA keys for RS256, EC P-256 keys for ES256 and OKP Ed25519
// keys for EdDSA (RFC 7518, RFC 8037); every other key of the set is skipped,
// as RFC 7517 section 5 asks, so one exotic key cannot cost us the others.
//
//   auto keys = KeySet::FromJwks(body);
//   if (!keys) log(Describe(keys.error()));
//
// Thread safety: immutable after FromJwks; Verify may run on any number of
// threads at once (OpenSSL 3 keys are safe to share read-only).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "auth/result.h"

namespace mcpx::auth {

// The JWS algorithms a resource server may accept: asymmetric only.
enum class JwsAlgorithm { kRS256, kES256, kEdDSA };

// "RS256", "ES256", "EdDSA"; nullopt for any other name ("none", "HS256", ...).
std::optional<JwsAlgorithm> ParseJwsAlgorithm(std::string_view name);

enum class JwksError {
  kTooLarge,     // document over kMaxJwksBytes
  kMalformed,    // not JSON, or no "keys" array
  kTooManyKeys,  // more than kMaxJwksKeys entries
  kNoUsableKey,  // well-formed, but no key we can verify with
  kUnavailable,  // JwksCache::Refresh only: the fetch failed
};
std::string_view Describe(JwksError error);

inline constexpr std::size_t kMaxJwksBytes = 256 * 1024;
inline constexpr std::size_t kMaxJwksKeys = 64;

class KeySet {
 public:
  KeySet();  // empty: verifies nothing
  ~KeySet();
  KeySet(KeySet&&) noexcept;
  KeySet& operator=(KeySet&&) noexcept;

  // Keys are skipped (counted by skipped()) when their kty, crv or alg is not
  // one of the three above, "use" is not "sig", a member is missing or
  // malformed, an RSA modulus is outside 2048..8192 bits, an EC point is not
  // on the curve, or an earlier key has the same kid and algorithm.
  static Result<KeySet, JwksError> FromJwks(std::string_view json);

  enum class Verdict { kVerified, kNoKey, kBadSignature };
  // Checks `signature` (raw bytes, base64url-decoded) over `signing_input`
  // (the token's "header.payload" text) with the key named `kid` for `alg`.
  // Without a kid, the set's only key for `alg` is used; several is kNoKey.
  Verdict Verify(std::string_view kid, JwsAlgorithm alg, std::string_view signing_input,
                 std::string_view signature) const;

  std::size_t size() const;
  std::size_t skipped() const { return skipped_; }

 private:
  struct Key;  // kid, algorithm and the OpenSSL key (key_set.cc)
  const Key* Find(std::string_view kid, JwsAlgorithm alg) const;

  std::vector<Key> keys_;
  std::size_t skipped_ = 0;
};

}  // namespace mcpx::auth
