// Test-only JOSE helpers: key pairs made with OpenSSL, their public JWKs, and
// a compact-JWS signer, so that the validator is checked against tokens it
// did not produce itself. Never linked into the library.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mcpx/json.h"

namespace mcpx::auth::testing {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey NewRsaKey(unsigned bits = 2048);
Pkey NewEcP256Key();
Pkey NewEd25519Key();

// The public JWK of `key` (kty RSA, EC or OKP). `kid` empty: no "kid".
json::object PublicJwk(EVP_PKEY* key, std::string_view kid);
// {"keys": [...]}
std::string Jwks(const std::vector<json::object>& jwks);

std::string Base64Url(std::string_view bytes);

// b64(header) "." b64(claims) "." b64(signature) with `alg` ("RS256",
// "ES256" as r||s, "EdDSA"); "alg" and, when given, "kid" are added to the
// header.
std::string Sign(EVP_PKEY* key, std::string_view alg, std::string_view kid, const json::object& claims,
                 json::object header = {});
// The same with raw header and payload texts (for malformed-JSON cases).
std::string SignText(EVP_PKEY* key, std::string_view alg, std::string_view header_json, std::string_view claims_json);
// HS256 with a shared secret: what a resource server must refuse.
std::string SignHs256(std::string_view secret, const json::object& header, const json::object& claims);

}  // namespace mcpx::auth::testing
