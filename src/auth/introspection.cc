#include "auth/introspection.h"

#include <openssl/sha.h>

#include <algorithm>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "auth/claims.h"
#include "mcpx/json.h"

namespace mcpx::auth {
namespace {

std::string Digest(std::string_view token) {
  std::string d(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), reinterpret_cast<unsigned char*>(d.data()));
  return d;
}

}  // namespace

std::string IntrospectionRequestBody(std::string_view token) {
  // Percent-encoding every byte outside RFC 3986's unreserved set is valid
  // application/x-www-form-urlencoded, whatever the token holds.
  return "token=" + boost::urls::encode(token, boost::urls::unreserved_chars) + "&token_type_hint=access_token";
}

Result<Principal, TokenError> ParseIntrospectionResponse(std::string_view text, const ValidatorOptions& options,
                                                         std::int64_t now_s) {
  if (text.size() > kMaxIntrospectionBytes) return TokenError::kMalformed;
  boost::system::error_code ec;
  json::parse_options parse_options;
  parse_options.max_depth = 16;
  const json::value doc = json::parse(text, ec, {}, parse_options);
  if (ec || !doc.is_object()) return TokenError::kMalformed;
  const json::value* active = doc.get_object().if_contains("active");
  if (active == nullptr || !active->is_bool()) return TokenError::kMalformed;
  if (!active->get_bool()) return TokenError::kInactive;
  return PrincipalFromClaims(doc.get_object(), options, now_s, ExpPolicy::kOptional);
}

std::optional<IntrospectionCache::Outcome> IntrospectionCache::Find(std::string_view token,
                                                                    std::int64_t now_s) const {
  const std::string key = Digest(token);
  ReaderMutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.expires_at <= now_s) return std::nullopt;
  return it->second.outcome;
}

void IntrospectionCache::Insert(std::string_view token, const Outcome& outcome, std::int64_t now_s) {
  if (options_.max_entries == 0) return;
  std::int64_t expires_at = now_s + options_.ttl_s;
  if (outcome.ok() && outcome->expires_at != 0) expires_at = std::min(expires_at, outcome->expires_at);
  if (expires_at <= now_s) return;
  std::string key = Digest(token);
  MutexLock lock(&mu_);
  if (auto it = entries_.find(key); it != entries_.end()) {
    by_expiry_.erase({it->second.expires_at, key});
    entries_.erase(it);
  }
  EvictLocked(now_s);
  by_expiry_.emplace(expires_at, key);
  entries_.emplace(std::move(key), Entry{outcome, expires_at});
}

void IntrospectionCache::EvictLocked(std::int64_t now_s) {
  // Expired entries first; then, when still full, the ones closest to expiry.
  while (!by_expiry_.empty() &&
         (by_expiry_.begin()->first <= now_s || entries_.size() >= options_.max_entries)) {
    entries_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
}

std::size_t IntrospectionCache::size() const {
  ReaderMutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace mcpx::auth
