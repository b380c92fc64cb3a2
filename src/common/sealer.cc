#include "common/sealer.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <sys/random.h>

#include <array>

#include "auth/base64url.h"

namespace mcpx {
namespace {

constexpr std::string_view kVersion = "v1.";
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return out;
}

// RFC 4648 section 5, unpadded.
std::string Base64Url(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                            static_cast<unsigned char>(in[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kAlphabet[v >> shift & 63]);
  }
  const std::size_t rest = in.size() - i;
  if (rest > 0) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(kAlphabet[v >> 18 & 63]);
    out.push_back(kAlphabet[v >> 12 & 63]);
    if (rest == 2) out.push_back(kAlphabet[v >> 6 & 63]);
  }
  return out;
}

}  // namespace

Sealer::Sealer(std::vector<std::string> keys, std::string audience) : audience_(std::move(audience)) {
  if (keys.empty()) {
    std::string secret(32, '\0');
    std::size_t got = 0;
    while (got < secret.size()) {
      const ssize_t n = getrandom(secret.data() + got, secret.size() - got, 0);
      if (n > 0) got += static_cast<std::size_t>(n);
    }
    keys.push_back(std::move(secret));
    generated_ = true;
  }
  for (std::string& secret : keys) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest);
    keys_.push_back({Hex(digest, 4), std::move(secret)});
  }
}

std::string Sealer::Mac(const Key& key, std::string_view sealed_part) const {
  std::string input(sealed_part);
  input.push_back('.');
  input.append(audience_);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.secret.data(), static_cast<int>(key.secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len);
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

std::string Sealer::Seal(std::string_view payload) const {
  const Key& key = keys_.front();
  std::string token(kVersion);
  token.append(key.id).append(".").append(Base64Url(payload));
  const std::string mac = Mac(key, token);
  token.append(".").append(Base64Url(mac));
  return token;
}

std::optional<std::string> Sealer::Open(std::string_view token) const {
  if (!token.starts_with(kVersion)) return std::nullopt;
  const std::size_t kid_end = token.find('.', kVersion.size());
  const std::size_t mac_dot = token.rfind('.');
  if (kid_end == std::string_view::npos || mac_dot <= kid_end) return std::nullopt;
  const std::string_view kid = token.substr(kVersion.size(), kid_end - kVersion.size());
  const Key* key = nullptr;
  for (const Key& k : keys_) {
    if (k.id == kid) key = &k;
  }
  if (key == nullptr) return std::nullopt;
  const std::optional<std::string> mac = auth::Base64UrlDecode(token.substr(mac_dot + 1));
  const std::string expected = Mac(*key, token.substr(0, mac_dot));
  if (!mac || mac->size() != expected.size() || CRYPTO_memcmp(mac->data(), expected.data(), expected.size()) != 0) {
    return std::nullopt;
  }
  return auth::Base64UrlDecode(token.substr(kid_end + 1, mac_dot - kid_end - 1));
}

}  // namespace mcpx
