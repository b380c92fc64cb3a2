// Token introspection (RFC 7662): request body, response parsing, cache.
#include "auth/introspection.h"

#include <gtest/gtest.h>

#include "mcpx/json.h"

namespace mcpx::auth {
namespace {

constexpr std::int64_t kNow = 1'750'000'000;

ValidatorOptions Options() { return {.issuer = "https://as.example.com", .audience = "https://mcp.example.com/mcp"}; }

json::object Active() {
  return {{"active", true}, {"iss", "https://as.example.com"}, {"aud", "https://mcp.example.com/mcp"},
          {"sub", "u1"}, {"client_id", "c1"}, {"scope", "read write"}, {"exp", kNow + 300},
          {"token_type", "Bearer"}};
}

Result<Principal, TokenError> Parse(const json::object& o) {
  return ParseIntrospectionResponse(json::serialize(o), Options(), kNow);
}

TokenError ErrorOf(const Result<Principal, TokenError>& r) {
  EXPECT_FALSE(r.ok());
  return r.ok() ? TokenError::kMalformed : r.error();
}

TEST(Introspection, RequestBodyIsFormEncoded) {
  EXPECT_EQ(IntrospectionRequestBody("abc.DEF-_~9"), "token=abc.DEF-_~9&token_type_hint=access_token");
  EXPECT_EQ(IntrospectionRequestBody("a b+c/=&%"), "token=a%20b%2Bc%2F%3D%26%25&token_type_hint=access_token");
}

TEST(Introspection, ActiveTokenGivesThePrincipal) {
  auto who = Parse(Active());
  ASSERT_TRUE(who.ok()) << Describe(who.error());
  EXPECT_EQ(who->subject, "u1");
  EXPECT_EQ(who->client_id, "c1");
  EXPECT_EQ(who->scopes, (std::vector<std::string>{"read", "write"}));
  EXPECT_EQ(who->expires_at, kNow + 300);
}

TEST(Introspection, ExpIsOptional) {
  json::object o = Active();
  o.erase("exp");
  auto who = Parse(o);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->expires_at, 0);
}

TEST(Introspection, InactiveAndMalformedAnswers) {
  EXPECT_EQ(ErrorOf(Parse({{"active", false}})), TokenError::kInactive);
  EXPECT_EQ(ErrorOf(Parse({{"active", "true"}})), TokenError::kMalformed);
  EXPECT_EQ(ErrorOf(Parse({{"sub", "u1"}})), TokenError::kMalformed);
  EXPECT_EQ(ErrorOf(ParseIntrospectionResponse("{", Options(), kNow)), TokenError::kMalformed);
  EXPECT_EQ(ErrorOf(ParseIntrospectionResponse("[true]", Options(), kNow)), TokenError::kMalformed);
  EXPECT_EQ(ErrorOf(ParseIntrospectionResponse(std::string(kMaxIntrospectionBytes + 1, ' '), Options(), kNow)),
            TokenError::kMalformed);
}

TEST(Introspection, ClaimsAreCheckedLikeAJwt) {
  json::object o = Active();
  o["aud"] = "https://other.example.com";
  EXPECT_EQ(ErrorOf(Parse(o)), TokenError::kWrongAudience);
  o = Active();
  o["iss"] = "https://evil.example.com";
  EXPECT_EQ(ErrorOf(Parse(o)), TokenError::kWrongIssuer);
  o = Active();
  o["exp"] = kNow - 3600;
  EXPECT_EQ(ErrorOf(Parse(o)), TokenError::kExpired);
  o = Active();
  o.erase("aud");
  EXPECT_EQ(ErrorOf(Parse(o)), TokenError::kMissingClaim);
}

TEST(IntrospectionCache, AcceptedTokensLiveUntilExpOrTtl) {
  IntrospectionCache cache({.max_entries = 100, .ttl_s = 60});
  Principal p;
  p.subject = "u1";
  p.expires_at = kNow + 10;  // sooner than the ttl
  cache.Insert("tok-1", p, kNow);
  ASSERT_TRUE(cache.Find("tok-1", kNow + 9));
  EXPECT_EQ(cache.Find("tok-1", kNow + 9)->value().subject, "u1");
  EXPECT_FALSE(cache.Find("tok-1", kNow + 10));
  EXPECT_FALSE(cache.Find("tok-2", kNow));

  p.expires_at = kNow + 3600;  // later than the ttl
  cache.Insert("tok-2", p, kNow);
  EXPECT_TRUE(cache.Find("tok-2", kNow + 59));
  EXPECT_FALSE(cache.Find("tok-2", kNow + 60));

  p.expires_at = kNow - 1;  // already expired: not worth keeping
  cache.Insert("tok-3", p, kNow);
  EXPECT_FALSE(cache.Find("tok-3", kNow));
}

TEST(IntrospectionCache, RefusalsAreRememberedForTheTtl) {
  IntrospectionCache cache({.max_entries = 100, .ttl_s = 30});
  cache.Insert("bad", TokenError::kInactive, kNow);
  auto hit = cache.Find("bad", kNow + 29);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->error(), TokenError::kInactive);
  EXPECT_FALSE(cache.Find("bad", kNow + 30));
}

TEST(IntrospectionCache, BoundedEvictingExpiredThenSoonest) {
  IntrospectionCache cache({.max_entries = 2, .ttl_s = 100});
  cache.Insert("a", TokenError::kInactive, kNow);       // expires kNow+100
  cache.Insert("b", TokenError::kInactive, kNow + 50);  // kNow+150
  cache.Insert("c", TokenError::kInactive, kNow + 60);  // full: "a" (soonest) goes
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.Find("a", kNow + 60));
  EXPECT_TRUE(cache.Find("b", kNow + 60));
  EXPECT_TRUE(cache.Find("c", kNow + 60));
  cache.Insert("d", TokenError::kInactive, kNow + 155);  // "b" expired: it goes, "c" stays
  EXPECT_TRUE(cache.Find("c", kNow + 155));
  EXPECT_TRUE(cache.Find("d", kNow + 155));
  cache.Insert("d", TokenError::kExpired, kNow + 156);  // replaces, does not grow
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Find("d", kNow + 156)->error(), TokenError::kExpired);
}

TEST(IntrospectionCache, ZeroCapacityKeepsNothing) {
  IntrospectionCache cache({.max_entries = 0, .ttl_s = 100});
  cache.Insert("a", TokenError::kInactive, kNow);
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace mcpx::auth
