#include "test_jose.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace mcpx::auth::testing {
namespace {

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(what);  // test setup failure
}

std::string BnParam(EVP_PKEY* key, const char* name, int pad_to) {
  BIGNUM* bn = nullptr;
  Check(EVP_PKEY_get_bn_param(key, name, &bn) == 1, name);
  std::string out(static_cast<std::size_t>(pad_to > 0 ? pad_to : BN_num_bytes(bn)), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  BN_free(bn);
  return out;
}

std::string SignBytes(EVP_PKEY* key, std::string_view alg, std::string_view input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const char* digest = alg == "EdDSA" ? nullptr : "SHA256";
  Check(EVP_DigestSignInit_ex(ctx, nullptr, digest, nullptr, nullptr, key, nullptr) == 1, "sign init");
  std::size_t len = 0;
  Check(EVP_DigestSign(ctx, nullptr, &len, Bytes(input), input.size()) == 1, "sign size");
  std::string sig(len, '\0');
  Check(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, Bytes(input), input.size()) == 1,
        "sign");
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  if (alg != "ES256") return sig;
  // DER -> r || s, 32 bytes each (RFC 7518 section 3.4).
  const unsigned char* p = Bytes(sig);
  ECDSA_SIG* ecdsa = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  Check(ecdsa != nullptr, "d2i_ECDSA_SIG");
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(ecdsa);
  return raw;
}

}  // namespace

Pkey NewRsaKey(unsigned bits) { return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits))); }
Pkey NewEcP256Key() { return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); }
Pkey NewEd25519Key() { return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")); }

json::object PublicJwk(EVP_PKEY* key, std::string_view kid) {
  json::object jwk;
  if (EVP_PKEY_is_a(key, "RSA")) {
    jwk["kty"] = "RSA";
    jwk["n"] = Base64Url(BnParam(key, OSSL_PKEY_PARAM_RSA_N, 0));
    jwk["e"] = Base64Url(BnParam(key, OSSL_PKEY_PARAM_RSA_E, 0));
  } else if (EVP_PKEY_is_a(key, "EC")) {
    jwk["kty"] = "EC";
    jwk["crv"] = "P-256";
    jwk["x"] = Base64Url(BnParam(key, OSSL_PKEY_PARAM_EC_PUB_X, 32));
    jwk["y"] = Base64Url(BnParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32));
  } else {
    std::string x(32, '\0');
    std::size_t len = x.size();
    Check(EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(x.data()), &len) == 1, "raw key");
    jwk["kty"] = "OKP";
    jwk["crv"] = "Ed25519";
    jwk["x"] = Base64Url(x);
  }
  if (!kid.empty()) jwk["kid"] = kid;
  return jwk;
}

std::string Jwks(const std::vector<json::object>& jwks) {
  json::array keys;
  for (const auto& k : jwks) keys.push_back(k);
  return json::serialize(json::object{{"keys", std::move(keys)}});
}

std::string Base64Url(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : bytes) {
    bits = bits << 8 | static_cast<unsigned char>(c);
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(kAlphabet[bits >> count & 63]);
    }
  }
  if (count > 0) out.push_back(kAlphabet[bits << (6 - count) & 63]);
  return out;
}

std::string SignText(EVP_PKEY* key, std::string_view alg, std::string_view header_json,
                     std::string_view claims_json) {
  const std::string input = Base64Url(header_json) + "." + Base64Url(claims_json);
  return input + "." + Base64Url(SignBytes(key, alg, input));
}

std::string Sign(EVP_PKEY* key, std::string_view alg, std::string_view kid, const json::object& claims,
                 json::object header) {
  header["alg"] = alg;
  if (!kid.empty()) header["kid"] = kid;
  return SignText(key, alg, json::serialize(header), json::serialize(claims));
}

std::string SignHs256(std::string_view secret, const json::object& header, const json::object& claims) {
  const std::string input = Base64Url(json::serialize(header)) + "." + Base64Url(json::serialize(claims));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), Bytes(input), input.size(), mac, &len);
  return input + "." + Base64Url(std::string_view(reinterpret_cast<const char*>(mac), len));
}

}  // namespace mcpx::auth::testing
