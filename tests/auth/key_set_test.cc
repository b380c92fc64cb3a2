// KeySet::FromJwks: what a JWKS document must hold, and which keys are used.
#include "auth/key_set.h"

#include <gtest/gtest.h>

#include "test_jose.h"

namespace mcpx::auth {
namespace {

using testing::Jwks;
using testing::Pkey;
using testing::PublicJwk;

struct Keys {
  Pkey rsa = testing::NewRsaKey();
  Pkey ec = testing::NewEcP256Key();
  Pkey ed = testing::NewEd25519Key();
};
const Keys& K() {
  static const Keys keys;
  return keys;
}

JwksError ErrorOf(std::string_view jwks) {
  auto r = KeySet::FromJwks(jwks);
  EXPECT_FALSE(r.ok());
  return r.ok() ? JwksError::kMalformed : r.error();
}

// The set made of `good` plus `extra`: how many keys were used and skipped.
std::pair<std::size_t, std::size_t> Counts(const json::object& extra) {
  auto r = KeySet::FromJwks(Jwks({PublicJwk(K().ed.get(), "good"), extra}));
  if (!r) return {0, 0};
  return {r->size(), r->skipped()};
}

TEST(KeySet, ReadsAllThreeKeyTypes) {
  auto set = KeySet::FromJwks(
      Jwks({PublicJwk(K().rsa.get(), "r"), PublicJwk(K().ec.get(), "e"), PublicJwk(K().ed.get(), "o")}));
  ASSERT_TRUE(set.ok()) << Describe(set.error());
  EXPECT_EQ(set->size(), 3u);
  EXPECT_EQ(set->skipped(), 0u);
}

TEST(KeySet, DocumentErrors) {
  EXPECT_EQ(ErrorOf("{"), JwksError::kMalformed);
  EXPECT_EQ(ErrorOf(""), JwksError::kMalformed);
  EXPECT_EQ(ErrorOf("[]"), JwksError::kMalformed);
  EXPECT_EQ(ErrorOf("{}"), JwksError::kMalformed);
  EXPECT_EQ(ErrorOf(R"({"keys":{}})"), JwksError::kMalformed);
  EXPECT_EQ(ErrorOf(R"({"keys":[]})"), JwksError::kNoUsableKey);
  EXPECT_EQ(ErrorOf(R"({"keys":[1,"a",null]})"), JwksError::kNoUsableKey);
  std::string deep = R"({"keys":[)" + std::string(100, '[') + std::string(100, ']') + "]}";
  EXPECT_EQ(ErrorOf(deep), JwksError::kMalformed);
}

TEST(KeySet, OversizedDocumentIsRefusedUnparsed) {
  std::string doc = Jwks({PublicJwk(K().ed.get(), "k")});
  doc.insert(1, std::string(kMaxJwksBytes, ' '));  // valid JSON, too long
  EXPECT_EQ(ErrorOf(doc), JwksError::kTooLarge);
}

TEST(KeySet, TooManyKeys) {
  std::vector<json::object> keys(kMaxJwksKeys + 1, PublicJwk(K().ed.get(), ""));
  EXPECT_EQ(ErrorOf(Jwks(keys)), JwksError::kTooManyKeys);
}

TEST(KeySet, UnsupportedKeysAreSkippedNotFatal) {
  const json::object oct{{"kty", "oct"}, {"k", "c2VjcmV0"}, {"kid", "hmac"}};
  EXPECT_EQ(ErrorOf(Jwks({oct})), JwksError::kNoUsableKey);
  EXPECT_EQ(Counts(oct), std::make_pair(std::size_t{1}, std::size_t{1}));
}

TEST(KeySet, WhichKeysAreSkipped) {
  auto with = [](EVP_PKEY* key, std::string_view member, json::value value) {
    json::object jwk = PublicJwk(key, "k");
    if (value.is_null()) {
      jwk.erase(member);
    } else {
      jwk[member] = std::move(value);
    }
    return jwk;
  };
  const auto skipped = std::make_pair(std::size_t{1}, std::size_t{1});
  const auto used = std::make_pair(std::size_t{2}, std::size_t{0});
  EVP_PKEY* rsa = K().rsa.get();
  EVP_PKEY* ec = K().ec.get();
  EVP_PKEY* ed = K().ed.get();
  EXPECT_EQ(Counts(with(rsa, "use", "sig")), used);
  EXPECT_EQ(Counts(with(rsa, "use", "enc")), skipped);
  EXPECT_EQ(Counts(with(rsa, "alg", "RS256")), used);
  EXPECT_EQ(Counts(with(rsa, "alg", "PS256")), skipped);
  EXPECT_EQ(Counts(with(rsa, "alg", "RSA-OAEP")), skipped);
  EXPECT_EQ(Counts(with(ec, "alg", "RS256")), skipped);
  EXPECT_EQ(Counts(with(ed, "alg", "EdDSA")), used);
  EXPECT_EQ(Counts(with(rsa, "kid", 7)), skipped);
  EXPECT_EQ(Counts(with(rsa, "n", nullptr)), skipped);
  EXPECT_EQ(Counts(with(rsa, "e", "AQAB=")), skipped);
  EXPECT_EQ(Counts(with(ec, "crv", "P-384")), skipped);
  EXPECT_EQ(Counts(with(ec, "x", "AAAA")), skipped);     // not 32 bytes
  EXPECT_EQ(Counts(with(ec, "y", json::string(testing::Base64Url(std::string(32, '\x01'))))), skipped);  // off the curve
  EXPECT_EQ(Counts(with(ed, "crv", "Ed448")), skipped);
  EXPECT_EQ(Counts(with(ed, "x", json::string(testing::Base64Url(std::string(31, 'x'))))), skipped);
  EXPECT_EQ(Counts(json::object{{"kty", 3}}), skipped);
  // Same kid and algorithm as the key before it: the first one stays.
  EXPECT_EQ(Counts(PublicJwk(testing::NewEd25519Key().get(), "good")), skipped);
  // Another key of the same type without a kid is not a duplicate.
  EXPECT_EQ(Counts(PublicJwk(testing::NewEd25519Key().get(), "")), used);
}

TEST(KeySet, WeakRsaKeysAreSkipped) {
  Pkey small = testing::NewRsaKey(1024);
  EXPECT_EQ(ErrorOf(Jwks({PublicJwk(small.get(), "small")})), JwksError::kNoUsableKey);
}

TEST(KeySet, EmptySetVerifiesNothing) {
  EXPECT_EQ(KeySet().Verify("", JwsAlgorithm::kRS256, "a.b", "sig"), KeySet::Verdict::kNoKey);
}

TEST(KeySet, AlgorithmNames) {
  EXPECT_EQ(ParseJwsAlgorithm("RS256"), JwsAlgorithm::kRS256);
  EXPECT_EQ(ParseJwsAlgorithm("ES256"), JwsAlgorithm::kES256);
  EXPECT_EQ(ParseJwsAlgorithm("EdDSA"), JwsAlgorithm::kEdDSA);
  for (const char* name : {"none", "HS256", "RS384", "PS256", "ES256K", "eddsa", ""}) {
    EXPECT_FALSE(ParseJwsAlgorithm(name)) << name;
  }
}

}  // namespace
}  // namespace mcpx::auth
