#include "auth/key_set.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <memory>
#include <string>

#include "auth/base64url.h"
#include "mcpx/json.h"

namespace mcpx::auth {
namespace {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG_free>>;

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// A base64url string member of a JWK, decoded.
std::optional<std::string> B64Member(const json::object& jwk, std::string_view name) {
  const json::value* v = jwk.if_contains(name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return Base64UrlDecode(v->get_string());
}

// Builds a key from OSSL_PARAMs (RSA, EC), the OpenSSL 3 way of importing
// raw key material without the deprecated RSA_* / EC_KEY_* functions.
PkeyPtr FromParams(const char* type, OSSL_PARAM* params) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return nullptr;
  }
  return PkeyPtr(pkey);
}

PkeyPtr RsaKey(const json::object& jwk) {
  auto n = B64Member(jwk, "n");
  auto e = B64Member(jwk, "e");
  if (!n || !e || e->empty() || e->size() > 8) return nullptr;
  BnPtr bn_n(BN_bin2bn(Bytes(*n), static_cast<int>(n->size()), nullptr));
  BnPtr bn_e(BN_bin2bn(Bytes(*e), static_cast<int>(e->size()), nullptr));
  // RFC 7518 section 3.3: 2048 bits at least; the upper bound caps the cost
  // of one verification.
  if (!bn_n || !bn_e || BN_num_bits(bn_n.get()) < 2048 || BN_num_bits(bn_n.get()) > 8192) return nullptr;
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return nullptr;
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  return params ? FromParams("RSA", params.get()) : nullptr;
}

PkeyPtr EcP256Key(const json::object& jwk) {
  const json::value* crv = jwk.if_contains("crv");
  if (crv == nullptr || !crv->is_string() || crv->get_string() != "P-256") return nullptr;
  auto x = B64Member(jwk, "x");
  auto y = B64Member(jwk, "y");
  // RFC 7518 section 6.2.1.2: each coordinate is the full 32 bytes.
  if (!x || !y || x->size() != 32 || y->size() != 32) return nullptr;
  std::string point = "\x04" + *x + *y;  // SEC1 uncompressed point
  char group[] = "P-256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end()};
  return FromParams("EC", params);
}

PkeyPtr Ed25519Key(const json::object& jwk) {
  const json::value* crv = jwk.if_contains("crv");
  if (crv == nullptr || !crv->is_string() || crv->get_string() != "Ed25519") return nullptr;
  auto x = B64Member(jwk, "x");
  if (!x || x->size() != 32) return nullptr;
  return PkeyPtr(EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, Bytes(*x), x->size()));
}

// OpenSSL's own sanity check of a public key (EC: the point is on the curve
// and not the identity; RSA: modulus and exponent are plausible).
bool PublicCheck(EVP_PKEY* pkey) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  return ctx && EVP_PKEY_public_check(ctx.get()) == 1;
}

// JWS carries an ECDSA signature as r || s, 32 bytes each (RFC 7518 section
// 3.4); OpenSSL verifies the DER SEQUENCE of two INTEGERs.
std::optional<std::string> EcdsaRawToDer(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(Bytes(raw), 32, nullptr);
  BIGNUM* s = BN_bin2bn(Bytes(raw) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return std::nullopt;
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != len) return std::nullopt;
  return der;
}

}  // namespace

struct KeySet::Key {
  std::string kid;  // empty when the JWK has none
  JwsAlgorithm alg;
  PkeyPtr pkey;
};

std::optional<JwsAlgorithm> ParseJwsAlgorithm(std::string_view name) {
  if (name == "RS256") return JwsAlgorithm::kRS256;
  if (name == "ES256") return JwsAlgorithm::kES256;
  if (name == "EdDSA") return JwsAlgorithm::kEdDSA;
  return std::nullopt;
}

std::string_view Describe(JwksError error) {
  switch (error) {
    case JwksError::kTooLarge: return "JWKS document too large";
    case JwksError::kMalformed: return "JWKS document malformed";
    case JwksError::kTooManyKeys: return "JWKS has too many keys";
    case JwksError::kNoUsableKey: return "JWKS has no usable signing key";
    case JwksError::kUnavailable: return "JWKS could not be fetched";
  }
  return "JWKS error";
}

KeySet::KeySet() = default;
KeySet::~KeySet() = default;
KeySet::KeySet(KeySet&&) noexcept = default;
KeySet& KeySet::operator=(KeySet&&) noexcept = default;
std::size_t KeySet::size() const { return keys_.size(); }

Result<KeySet, JwksError> KeySet::FromJwks(std::string_view text) {
  if (text.size() > kMaxJwksBytes) return JwksError::kTooLarge;
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 16;
  const json::value doc = json::parse(text, ec, {}, options);
  if (ec || !doc.is_object()) return JwksError::kMalformed;
  const json::value* keys = doc.get_object().if_contains("keys");
  if (keys == nullptr || !keys->is_array()) return JwksError::kMalformed;
  if (keys->get_array().size() > kMaxJwksKeys) return JwksError::kTooManyKeys;

  KeySet set;
  for (const json::value& entry : keys->get_array()) {
    const json::object* jwk = entry.if_object();
    const json::value* kty = jwk ? jwk->if_contains("kty") : nullptr;
    const json::value* use = jwk ? jwk->if_contains("use") : nullptr;
    const json::value* alg = jwk ? jwk->if_contains("alg") : nullptr;
    const json::value* kid = jwk ? jwk->if_contains("kid") : nullptr;
    if (kty == nullptr || !kty->is_string() || (use && (!use->is_string() || use->get_string() != "sig")) ||
        (alg && !alg->is_string()) || (kid && !kid->is_string())) {
      ++set.skipped_;
      continue;
    }
    Key key{kid ? std::string(kid->get_string()) : std::string(), JwsAlgorithm::kRS256, nullptr};
    if (kty->get_string() == "RSA") {
      key.alg = JwsAlgorithm::kRS256;
      key.pkey = RsaKey(*jwk);
    } else if (kty->get_string() == "EC") {
      key.alg = JwsAlgorithm::kES256;
      key.pkey = EcP256Key(*jwk);
    } else if (kty->get_string() == "OKP") {
      key.alg = JwsAlgorithm::kEdDSA;
      key.pkey = Ed25519Key(*jwk);
    }
    // A JWK's "alg", when present, pins the key to that one algorithm
    // (an RSA key published for PS256 or RSA-OAEP is not ours to use).
    const bool alg_matches = alg == nullptr || ParseJwsAlgorithm(alg->get_string()) == key.alg;
    const bool duplicate = std::any_of(set.keys_.begin(), set.keys_.end(),
                                       [&](const Key& k) { return k.kid == key.kid && k.alg == key.alg; });
    if (!key.pkey || !alg_matches || duplicate || !PublicCheck(key.pkey.get())) {
      ++set.skipped_;
      continue;
    }
    set.keys_.push_back(std::move(key));
  }
  ERR_clear_error();  // rejected keys leave OpenSSL errors on this thread's queue
  if (set.keys_.empty()) return JwksError::kNoUsableKey;
  return set;
}

const KeySet::Key* KeySet::Find(std::string_view kid, JwsAlgorithm alg) const {
  const Key* found = nullptr;
  for (const Key& key : keys_) {
    if (key.alg != alg) continue;
    if (!kid.empty()) {
      if (key.kid == kid) return &key;
    } else if (found != nullptr) {
      return nullptr;  // no kid and several candidates: refuse rather than guess
    } else {
      found = &key;
    }
  }
  return found;
}

KeySet::Verdict KeySet::Verify(std::string_view kid, JwsAlgorithm alg, std::string_view signing_input,
                               std::string_view signature) const {
  const Key* key = Find(kid, alg);
  if (key == nullptr) return Verdict::kNoKey;
  std::optional<std::string> der;
  switch (alg) {
    case JwsAlgorithm::kRS256:
      if (signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key->pkey.get()))) {
        return Verdict::kBadSignature;
      }
      break;
    case JwsAlgorithm::kES256:
      der = EcdsaRawToDer(signature);
      if (!der) return Verdict::kBadSignature;
      signature = *der;
      break;
    case JwsAlgorithm::kEdDSA:
      if (signature.size() != 64) return Verdict::kBadSignature;
      break;
  }
  // EdDSA hashes internally (PureEdDSA): no digest is named for it.
  const char* digest = alg == JwsAlgorithm::kEdDSA ? nullptr : "SHA256";
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok = ctx &&
                  EVP_DigestVerifyInit_ex(ctx.get(), nullptr, digest, nullptr, nullptr, key->pkey.get(),
                                          nullptr) == 1 &&
                  EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(signing_input),
                                   signing_input.size()) == 1;
  if (!ok) ERR_clear_error();
  return ok ? Verdict::kVerified : Verdict::kBadSignature;
}

}  // namespace mcpx::auth
