// Sealer (common/sealer.h): HMAC-SHA256 sealing of requestState under a key
// ring. Round trips, tampering of any part, other rings and audiences, key
// rotation, malformed tokens, and the generated per-process key.
#include "common/sealer.h"

#include <gtest/gtest.h>

#include <openssl/sha.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpx {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// The token's parts: "v1" kid payload mac.
std::vector<std::string> Parts(const std::string& token) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = token.find('.', start);
    parts.push_back(token.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

// The key id a key is named by: the first four bytes of its SHA-256, in hex.
std::string KeyId(const std::string& secret) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 4; ++i) id.append({kHex[digest[i] >> 4], kHex[digest[i] & 0xf]});
  return id;
}

// Every base64url character other than `c`.
std::string OthersThan(char c) {
  std::string others;
  for (char a : kAlphabet) {
    if (a != c) others.push_back(a);
  }
  return others;
}

TEST(SealerTest, RoundTrip) {
  const Sealer sealer({"key-one"}, "aud");
  const std::string payload = R"({"a":{},"r":1,"exp":1234,"b":"tools/call\nx\n"})";
  const std::string token = sealer.Seal(payload);
  ASSERT_EQ(sealer.Open(token), payload);
  EXPECT_FALSE(sealer.generated());
}

TEST(SealerTest, TokenLayoutNamesVersionAndKey) {
  const Sealer sealer({"key-one"}, "aud");
  const std::vector<std::string> parts = Parts(sealer.Seal("hello"));
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0], "v1");
  EXPECT_EQ(parts[1], KeyId("key-one"));
  EXPECT_EQ(parts[3].size(), 43u);  // 32 bytes of HMAC-SHA256, unpadded base64url
}

// Every remainder of base64 (length mod 3), empty, and every byte value.
TEST(SealerTest, RoundTripOfEveryLengthAndByte) {
  const Sealer sealer({"k"}, "");
  for (std::size_t n = 0; n <= 10; ++n) {
    const std::string payload(n, 'x');
    EXPECT_EQ(sealer.Open(sealer.Seal(payload)), payload) << n;
  }
  std::string binary;
  for (int b = 0; b < 256; ++b) binary.push_back(static_cast<char>(b));
  EXPECT_EQ(sealer.Open(sealer.Seal(binary)), binary);
}

TEST(SealerTest, SealingTwiceGivesTheSameToken) {
  const Sealer sealer({"k"}, "aud");
  EXPECT_EQ(sealer.Seal("same"), sealer.Seal("same"));
  EXPECT_NE(sealer.Seal("same"), sealer.Seal("other"));
}

// Any character of the version, key id or payload parts replaced by any
// other base64url character (or a character outside the alphabet) fails.
TEST(SealerTest, ChangedByteOutsideTheMacFails) {
  const Sealer sealer({"key-one"}, "aud");
  const std::string token = sealer.Seal(R"({"r":1,"exp":99})");
  const std::size_t mac_dot = token.rfind('.');
  int tried = 0;
  for (std::size_t i = 0; i < mac_dot; ++i) {
    if (token[i] == '.') continue;
    std::string replacements = OthersThan(token[i]);
    replacements += "+/=. \x01\xff";
    for (char c : replacements) {
      std::string changed = token;
      changed[i] = c;
      ++tried;
      EXPECT_EQ(sealer.Open(changed), std::nullopt) << "position " << i << " -> '" << c << "': " << changed;
    }
  }
  EXPECT_GT(tried, 1000);
}

// The same for every character of the MAC part. (A base64url text of 32
// bytes has 43 characters; the last carries 4 bits and 2 unused ones: a
// decoder that ignores those accepts 3 other spellings of the same MAC.)
TEST(SealerTest, ChangedByteInTheMacFails) {
  const Sealer sealer({"key-one"}, "aud");
  const std::string token = sealer.Seal(R"({"r":1,"exp":99})");
  const std::size_t mac_dot = token.rfind('.');
  for (std::size_t i = mac_dot + 1; i < token.size(); ++i) {
    std::string replacements = OthersThan(token[i]);
    replacements += "+/=. \x01\xff";
    for (char c : replacements) {
      std::string changed = token;
      changed[i] = c;
      EXPECT_EQ(sealer.Open(changed), std::nullopt)
          << "MAC position " << (i - mac_dot - 1) << " of " << (token.size() - mac_dot - 1) << ": '" << token[i]
          << "' -> '" << c << "' still opens";
    }
  }
}

TEST(SealerTest, TruncatedOrExtendedTokenFails) {
  const Sealer sealer({"key-one"}, "aud");
  const std::string token = sealer.Seal("payload");
  for (std::size_t n = 0; n < token.size(); ++n) {
    EXPECT_EQ(sealer.Open(token.substr(0, n)), std::nullopt) << n;
  }
  for (std::string_view tail : {"A", "AA", "AAAA", "-TAMPERED", ".", ".x", "=", "\n"}) {
    EXPECT_EQ(sealer.Open(token + std::string(tail)), std::nullopt) << tail;
  }
  for (std::string_view head : {"x", " ", "."}) {
    EXPECT_EQ(sealer.Open(std::string(head) + token), std::nullopt) << head;
  }
}

// The MAC of another token of the same ring does not carry over.
TEST(SealerTest, SplicedPartsFail) {
  const Sealer sealer({"key-one"}, "aud");
  const std::vector<std::string> a = Parts(sealer.Seal("first payload"));
  const std::vector<std::string> b = Parts(sealer.Seal("second payload"));
  EXPECT_EQ(sealer.Open(a[0] + "." + a[1] + "." + b[2] + "." + a[3]), std::nullopt);
  EXPECT_EQ(sealer.Open(a[0] + "." + a[1] + "." + a[2] + "." + b[3]), std::nullopt);
}

TEST(SealerTest, TokenOfAnotherKeyRingFails) {
  const Sealer ours({"key-one"}, "aud");
  const Sealer theirs({"key-two"}, "aud");
  EXPECT_EQ(ours.Open(theirs.Seal("x")), std::nullopt);
  EXPECT_EQ(theirs.Open(ours.Seal("x")), std::nullopt);
  // Even under our key id: the MAC is still theirs.
  std::vector<std::string> parts = Parts(theirs.Seal("x"));
  const std::string relabelled = parts[0] + "." + KeyId("key-one") + "." + parts[2] + "." + parts[3];
  EXPECT_EQ(ours.Open(relabelled), std::nullopt);
}

TEST(SealerTest, TokenOfAnotherAudienceFails) {
  const Sealer a({"shared"}, "service-a");
  const Sealer b({"shared"}, "service-b");
  const Sealer none({"shared"}, "");
  EXPECT_EQ(a.Open(a.Seal("x")), "x");
  EXPECT_EQ(b.Open(a.Seal("x")), std::nullopt);
  EXPECT_EQ(a.Open(b.Seal("x")), std::nullopt);
  EXPECT_EQ(none.Open(a.Seal("x")), std::nullopt);
  EXPECT_EQ(a.Open(none.Seal("x")), std::nullopt);
  // The audience is not a prefix game either.
  const Sealer longer({"shared"}, "service-a.x");
  EXPECT_EQ(longer.Open(a.Seal("x")), std::nullopt);
  EXPECT_EQ(a.Open(longer.Seal("x")), std::nullopt);
}

TEST(SealerTest, SameKeysAndAudienceOpenEachOther) {
  const Sealer node1({"k1", "k0"}, "svc");
  const Sealer node2({"k1", "k0"}, "svc");
  EXPECT_EQ(node2.Open(node1.Seal("across")), "across");
  EXPECT_EQ(node1.Open(node2.Seal("back")), "back");
}

// Rotation: prepend the new key; tokens sealed just before still open, and
// new ones are sealed with the new key.
TEST(SealerTest, RotationOpensOldTokensAndSealsWithTheNewKey) {
  const Sealer before({"old"}, "aud");
  const Sealer rotated({"new", "old"}, "aud");
  const Sealer only_new({"new"}, "aud");
  const Sealer only_old({"old"}, "aud");

  const std::string old_token = before.Seal("sealed before");
  EXPECT_EQ(rotated.Open(old_token), "sealed before");

  const std::string new_token = rotated.Seal("sealed after");
  EXPECT_EQ(Parts(new_token)[1], KeyId("new"));
  EXPECT_EQ(rotated.Open(new_token), "sealed after");
  EXPECT_EQ(only_new.Open(new_token), "sealed after");
  // A node not yet rotated does not know the new key.
  EXPECT_EQ(only_old.Open(new_token), std::nullopt);
  // Once the old key is dropped, its tokens no longer open.
  EXPECT_EQ(only_new.Open(old_token), std::nullopt);
}

TEST(SealerTest, MalformedTokensFail) {
  const Sealer sealer({"key-one"}, "aud");
  const std::string kid = KeyId("key-one");
  const std::string good = sealer.Seal("p");
  const std::vector<std::string> parts = Parts(good);
  for (const std::string& token : std::vector<std::string>{
           "", "v1", "v1.", "v1..", "v1...", "v2.x.y.z", "v1.x.y.z", "v1." + kid, "v1." + kid + ".",
           "v1." + kid + "..", "v1." + kid + ".cA", "v1." + kid + ".cA.", "V1." + kid + "." + parts[2] + "." + parts[3],
           "v2." + kid + "." + parts[2] + "." + parts[3],
           "v1." + kid + "." + parts[2] + "!" + "." + parts[3],  // not base64url
           "v1." + kid + "." + parts[2] + "." + parts[3] + "!", "v1." + kid + ".%%%%." + parts[3],
           "v1." + kid + "." + parts[2] + ".@@@@", "v1." + kid + "." + parts[2] + "." + parts[3] + "=",
           "v1.." + parts[2] + "." + parts[3], "v1." + kid + "." + parts[2] + "." + parts[3] + "." + parts[3],
           std::string("v1.\0.", 5), std::string(10000, '.'), "v1." + std::string(10000, 'A')}) {
    EXPECT_EQ(sealer.Open(token), std::nullopt) << token.substr(0, 80);
  }
  EXPECT_EQ(sealer.Open(good), "p");  // and the well-formed one still opens
}

TEST(SealerTest, GeneratedOnlyWithoutKeys) {
  EXPECT_TRUE(Sealer({}, "aud").generated());
  EXPECT_TRUE(Sealer({}, "").generated());
  EXPECT_FALSE(Sealer({"k"}, "aud").generated());
  EXPECT_FALSE(Sealer({"new", "old"}, "").generated());
}

TEST(SealerTest, GeneratedKeysAreDistinctPerSealer) {
  const Sealer a({}, "aud");
  const Sealer b({}, "aud");
  EXPECT_EQ(a.Open(a.Seal("mine")), "mine");
  EXPECT_EQ(b.Open(b.Seal("mine")), "mine");
  EXPECT_EQ(a.Open(b.Seal("theirs")), std::nullopt);
  EXPECT_EQ(b.Open(a.Seal("theirs")), std::nullopt);
  EXPECT_NE(Parts(a.Seal("x"))[1], Parts(b.Seal("x"))[1]);
}

}  // namespace
}  // namespace mcpx
