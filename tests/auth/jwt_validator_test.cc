// ValidateJwt against tokens signed here with OpenSSL (test_jose.h).
#include "auth/jwt_validator.h"

#include <gtest/gtest.h>

#include "auth/base64url.h"
#include "test_jose.h"

namespace mcpx::auth {
namespace {

using testing::Base64Url;
using testing::Jwks;
using testing::Pkey;
using testing::PublicJwk;
using testing::Sign;
using testing::SignText;

constexpr std::int64_t kNow = 1'750'000'000;
constexpr char kIssuer[] = "https://as.example.com";
constexpr char kResource[] = "https://mcp.example.com/mcp";

// One set of keys for the whole file: RSA key generation takes a while.
struct Keys {
  Pkey rsa = testing::NewRsaKey();
  Pkey ec = testing::NewEcP256Key();
  Pkey ed = testing::NewEd25519Key();
  Pkey stranger = testing::NewRsaKey();  // not in the set
  KeySet set = KeySet::FromJwks(Jwks({PublicJwk(rsa.get(), "rsa-1"), PublicJwk(ec.get(), "ec-1"),
                                      PublicJwk(ed.get(), "ed-1")}))
                   .value();
  EVP_PKEY* For(std::string_view alg) const {
    return alg == "RS256" ? rsa.get() : alg == "ES256" ? ec.get() : ed.get();
  }
};
const Keys& K() {
  static const Keys keys;
  return keys;
}

json::object Claims() {
  return {{"iss", kIssuer}, {"aud", kResource}, {"sub", "user-1"}, {"client_id", "app-1"},
          {"exp", kNow + 600}, {"iat", kNow}, {"scope", "tools:read tools:call"}};
}

ValidatorOptions Options() { return {.issuer = kIssuer, .audience = kResource}; }

Result<Principal, TokenError> Check(std::string_view token, ValidatorOptions options = Options()) {
  return ValidateJwt(token, K().set, options, kNow);
}

// Signs `claims` with the RSA key of the set.
std::string Rs256(const json::object& claims) { return Sign(K().rsa.get(), "RS256", "rsa-1", claims); }

TokenError ErrorOf(const Result<Principal, TokenError>& r) {
  EXPECT_FALSE(r.ok());
  return r.ok() ? TokenError::kMalformed : r.error();
}

class EachAlgorithm : public ::testing::TestWithParam<const char*> {
 protected:
  std::string alg() const { return GetParam(); }
  std::string kid() const { return alg() == "RS256" ? "rsa-1" : alg() == "ES256" ? "ec-1" : "ed-1"; }
  std::string Token(const json::object& claims = Claims()) const { return Sign(K().For(alg()), alg(), kid(), claims); }
};

TEST_P(EachAlgorithm, ValidTokenGivesThePrincipal) {
  auto who = Check(Token());
  ASSERT_TRUE(who.ok()) << Describe(who.error());
  EXPECT_EQ(who->issuer, kIssuer);
  EXPECT_EQ(who->subject, "user-1");
  EXPECT_EQ(who->client_id, "app-1");
  EXPECT_EQ(who->scopes, (std::vector<std::string>{"tools:read", "tools:call"}));
  EXPECT_EQ(who->expires_at, kNow + 600);
}

TEST_P(EachAlgorithm, TamperedPayloadIsRefused) {
  const std::string token = Token();
  json::object claims = Claims();
  claims["sub"] = "admin";
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = token.find('.', dot1 + 1);
  const std::string forged = token.substr(0, dot1 + 1) + Base64Url(json::serialize(claims)) + token.substr(dot2);
  EXPECT_EQ(ErrorOf(Check(forged)), TokenError::kBadSignature);
}

TEST_P(EachAlgorithm, TamperedSignatureIsRefused) {
  const std::string token = Token();
  const std::size_t dot2 = token.rfind('.');
  std::string sig = *Base64UrlDecode(token.substr(dot2 + 1));
  for (const std::size_t at : {std::size_t{0}, sig.size() / 2, sig.size() - 1}) {
    std::string bad = sig;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    EXPECT_EQ(ErrorOf(Check(token.substr(0, dot2 + 1) + Base64Url(bad))), TokenError::kBadSignature) << at;
  }
  EXPECT_EQ(ErrorOf(Check(token.substr(0, dot2 + 1) + Base64Url(sig.substr(1)))), TokenError::kBadSignature);
  EXPECT_EQ(ErrorOf(Check(token.substr(0, dot2 + 1))), TokenError::kMalformed);  // empty signature
}

TEST_P(EachAlgorithm, RefusedWhenNotInOptions) {
  ValidatorOptions options = Options();
  options.algorithms = {alg() == "EdDSA" ? "ES256" : "EdDSA"};
  EXPECT_EQ(ErrorOf(Check(Token(), options)), TokenError::kUnsupportedAlgorithm);
}

INSTANTIATE_TEST_SUITE_P(Jwt, EachAlgorithm, ::testing::Values("RS256", "ES256", "EdDSA"));

TEST(Jwt, WrongKeyIsRefused) {
  EXPECT_EQ(ErrorOf(Check(Sign(K().stranger.get(), "RS256", "rsa-1", Claims()))), TokenError::kBadSignature);
  // An EC token naming the RSA key's kid: kid and algorithm must both match.
  EXPECT_EQ(ErrorOf(Check(Sign(K().ec.get(), "ES256", "rsa-1", Claims()))), TokenError::kUnknownKey);
}

TEST(Jwt, UnknownKidIsReportedAsSuch) {
  EXPECT_EQ(ErrorOf(Check(Sign(K().rsa.get(), "RS256", "rsa-2", Claims()))), TokenError::kUnknownKey);
}

TEST(Jwt, TokenWithoutKidUsesTheOnlyKeyForItsAlgorithm) {
  EXPECT_TRUE(Check(Sign(K().rsa.get(), "RS256", "", Claims())).ok());
  EXPECT_TRUE(Check(Sign(K().ed.get(), "EdDSA", "", Claims())).ok());
  // Two RSA keys: no guessing.
  const KeySet two = KeySet::FromJwks(Jwks({PublicJwk(K().rsa.get(), "a"), PublicJwk(K().stranger.get(), "b")})).value();
  EXPECT_EQ(ValidateJwt(Sign(K().rsa.get(), "RS256", "", Claims()), two, Options(), kNow).error(),
            TokenError::kUnknownKey);
  EXPECT_TRUE(ValidateJwt(Sign(K().rsa.get(), "RS256", "a", Claims()), two, Options(), kNow).ok());
}

TEST(Jwt, AlgNoneIsRefused) {
  for (const char* alg : {"none", "None", "NONE"}) {
    const std::string token = Base64Url(json::serialize(json::object{{"alg", alg}})) + "." +
                              Base64Url(json::serialize(Claims())) + ".";
    EXPECT_EQ(ErrorOf(Check(token)), TokenError::kUnsupportedAlgorithm) << alg;
  }
}

TEST(Jwt, Hs256IsRefusedEvenWhenListed) {
  // The classic confusion: HMAC keyed with the public key's own bytes.
  const std::string secret = json::serialize(PublicJwk(K().rsa.get(), "rsa-1"));
  const std::string token = testing::SignHs256(secret, {{"alg", "HS256"}, {"kid", "rsa-1"}}, Claims());
  EXPECT_EQ(ErrorOf(Check(token)), TokenError::kUnsupportedAlgorithm);
  ValidatorOptions options = Options();
  options.algorithms.push_back("HS256");
  EXPECT_EQ(ErrorOf(Check(token, options)), TokenError::kUnsupportedAlgorithm);
}

TEST(Jwt, ExpiryHonoursLeeway) {
  json::object c = Claims();
  c["exp"] = kNow - 30;  // expired, within the 60 s leeway
  EXPECT_TRUE(Check(Rs256(c)).ok());
  c["exp"] = kNow - 60;
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kExpired);
  c["exp"] = kNow - 3600;
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kExpired);
  ValidatorOptions strict = Options();
  strict.leeway_s = 0;
  c["exp"] = kNow;  // "the current time MUST be before exp"
  EXPECT_EQ(ErrorOf(Check(Rs256(c), strict)), TokenError::kExpired);
  c["exp"] = kNow + 0.5;  // NumericDate may be fractional
  EXPECT_EQ(ErrorOf(Check(Rs256(c), strict)), TokenError::kExpired);
  c["exp"] = kNow + 1.5;
  EXPECT_TRUE(Check(Rs256(c), strict).ok());
}

TEST(Jwt, ExpIsRequiredAndNumeric) {
  json::object c = Claims();
  c.erase("exp");
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kMissingClaim);
  c["exp"] = "tomorrow";
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kMalformed);
  c["exp"] = 1e300;  // saturates instead of overflowing
  EXPECT_TRUE(Check(Rs256(c)).ok());
}

TEST(Jwt, NotBeforeHonoursLeeway) {
  json::object c = Claims();
  c["nbf"] = kNow + 120;
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kNotYetValid);
  c["nbf"] = kNow + 30;
  EXPECT_TRUE(Check(Rs256(c)).ok());
  c["nbf"] = "soon";
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kMalformed);
  c["nbf"] = kNow;
  c["iat"] = json::array{};
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kMalformed);
}

TEST(Jwt, IssuerMustMatchExactly) {
  json::object c = Claims();
  c["iss"] = std::string(kIssuer) + "/";
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kWrongIssuer);
  c["iss"] = 42;
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kWrongIssuer);
  c.erase("iss");
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kMissingClaim);
  ValidatorOptions unset = Options();
  unset.issuer.clear();  // fail closed
  EXPECT_EQ(ErrorOf(Check(Rs256(Claims()), unset)), TokenError::kWrongIssuer);
}

TEST(Jwt, AudienceMustNameThisResource) {
  json::object c = Claims();
  c["aud"] = "https://other.example.com/mcp";
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kWrongAudience);
  c["aud"] = json::array{"https://other.example.com/mcp", kResource};
  EXPECT_TRUE(Check(Rs256(c)).ok());
  c["aud"] = json::array{"https://other.example.com/mcp", 7};
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kWrongAudience);
  c["aud"] = json::array{};
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kWrongAudience);
  c["aud"] = json::object{{"aud", kResource}};
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kWrongAudience);
  c.erase("aud");
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kMissingClaim);
  ValidatorOptions unset = Options();
  unset.audience.clear();
  EXPECT_EQ(ErrorOf(Check(Rs256(Claims()), unset)), TokenError::kWrongAudience);
}

TEST(Jwt, ScopesFromScopeStringOrScp) {
  json::object c = Claims();
  c["scope"] = "  a  b c ";
  EXPECT_EQ(Check(Rs256(c))->scopes, (std::vector<std::string>{"a", "b", "c"}));
  c.erase("scope");
  c["scp"] = json::array{"x", "y"};
  EXPECT_EQ(Check(Rs256(c))->scopes, (std::vector<std::string>{"x", "y"}));
  c["scp"] = "x y";
  EXPECT_EQ(Check(Rs256(c))->scopes, (std::vector<std::string>{"x", "y"}));
  c["scp"] = json::array{"x", 1};
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kMalformed);
  c.erase("scp");
  EXPECT_TRUE(Check(Rs256(c))->scopes.empty());
  c["scope"] = json::array{"a"};
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kMalformed);
}

TEST(Jwt, ClientIdFallsBackToAzp) {
  json::object c = Claims();
  c.erase("client_id");
  c["azp"] = "app-2";
  EXPECT_EQ(Check(Rs256(c))->client_id, "app-2");
  c["client_id"] = 5;
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kMalformed);
}

TEST(Jwt, TypeHeader) {
  for (const char* typ : {"at+jwt", "application/at+jwt", "AT+JWT", "JWT", "jwt"}) {
    EXPECT_TRUE(Check(Sign(K().rsa.get(), "RS256", "rsa-1", Claims(), {{"typ", typ}})).ok()) << typ;
  }
  for (const char* typ : {"dpop+jwt", "logout+jwt", "application/", ""}) {
    EXPECT_EQ(ErrorOf(Check(Sign(K().rsa.get(), "RS256", "rsa-1", Claims(), {{"typ", typ}}))), TokenError::kMalformed)
        << typ;
  }
}

TEST(Jwt, MalformedTokens) {
  const std::string good = Rs256(Claims());
  for (const std::string& token : {std::string(), std::string("abc"), std::string("a.b"), good + ".x",
                                   good + ".x.y", std::string(".."), "!!!" + good.substr(good.find('.')),
                                   "eyJhbGciOiJSUzI1NiJ9=" + good.substr(good.find('.'))}) {
    EXPECT_EQ(ErrorOf(Check(token)), TokenError::kMalformed) << token;
  }
  std::string bad_sig = good;
  bad_sig.back() = '*';
  EXPECT_EQ(ErrorOf(Check(bad_sig)), TokenError::kMalformed);
}

TEST(Jwt, MalformedHeaders) {
  const std::string claims = json::serialize(Claims());
  EVP_PKEY* rsa = K().rsa.get();
  EXPECT_EQ(ErrorOf(Check(SignText(rsa, "RS256", "not json", claims))), TokenError::kMalformed);
  EXPECT_EQ(ErrorOf(Check(SignText(rsa, "RS256", R"(["RS256"])", claims))), TokenError::kMalformed);
  EXPECT_EQ(ErrorOf(Check(SignText(rsa, "RS256", R"({"kid":"rsa-1"})", claims))), TokenError::kMalformed);
  EXPECT_EQ(ErrorOf(Check(SignText(rsa, "RS256", R"({"alg":256})", claims))), TokenError::kMalformed);
  EXPECT_EQ(ErrorOf(Check(SignText(rsa, "RS256", R"({"alg":"RS256","kid":1})", claims))), TokenError::kMalformed);
  EXPECT_EQ(ErrorOf(Check(SignText(rsa, "RS256", R"({"alg":"RS256","kid":"rsa-1","crit":["exp"]})", claims))),
            TokenError::kMalformed);
  EXPECT_EQ(ErrorOf(Check(SignText(rsa, "RS512", R"({"alg":"RS512","kid":"rsa-1"})", claims))),
            TokenError::kUnsupportedAlgorithm);
}

TEST(Jwt, SignedButMalformedPayload) {
  const std::string header = R"({"alg":"RS256","kid":"rsa-1"})";
  EXPECT_EQ(ErrorOf(Check(SignText(K().rsa.get(), "RS256", header, "not json"))), TokenError::kMalformed);
  EXPECT_EQ(ErrorOf(Check(SignText(K().rsa.get(), "RS256", header, "[1,2]"))), TokenError::kMalformed);
  std::string deep(100, '[');
  EXPECT_EQ(ErrorOf(Check(SignText(K().rsa.get(), "RS256", header, deep + std::string(100, ']')))),
            TokenError::kMalformed);
}

TEST(Jwt, HugeTokenIsRefusedBeforeAnyWork) {
  json::object c = Claims();
  c["pad"] = std::string(kMaxTokenBytes, 'x');
  EXPECT_EQ(ErrorOf(Check(Rs256(c))), TokenError::kTooLarge);
  EXPECT_EQ(ErrorOf(Check(std::string(kMaxTokenBytes + 1, 'a'))), TokenError::kTooLarge);
}

TEST(Jwt, DescribeNeverEmpty) {
  for (int e = 0; e <= static_cast<int>(TokenError::kInactive); ++e) {
    EXPECT_FALSE(Describe(static_cast<TokenError>(e)).empty());
  }
}

TEST(Base64Url, StrictDecoding) {
  EXPECT_EQ(Base64UrlDecode(""), "");
  EXPECT_EQ(Base64UrlDecode("QQ"), "A");
  EXPECT_EQ(Base64UrlDecode("QUI"), "AB");
  EXPECT_EQ(Base64UrlDecode("QUJD"), "ABC");
  EXPECT_EQ(Base64UrlDecode("-_-_"), "\xfb\xff\xbf");
  EXPECT_FALSE(Base64UrlDecode("QR"));     // non-zero bits after the last byte
  EXPECT_FALSE(Base64UrlDecode("QUJDR"));  // 4n+1 characters
  EXPECT_FALSE(Base64UrlDecode("QQ=="));   // padding
  EXPECT_FALSE(Base64UrlDecode("+/+/"));   // the other alphabet
  EXPECT_FALSE(Base64UrlDecode("QU JD"));
}

}  // namespace
}  // namespace mcpx::auth
