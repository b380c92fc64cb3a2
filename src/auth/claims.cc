#include "auth/claims.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>

namespace mcpx::auth {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

// A NumericDate (RFC 7519 section 2): a JSON number of seconds, possibly
// fractional. Values beyond int64 saturate, so later arithmetic cannot
// overflow; nullopt when it is not a number.
std::optional<std::int64_t> NumericDate(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) return v.get_uint64() > static_cast<std::uint64_t>(kMax) ? kMax
                                                                             : static_cast<std::int64_t>(v.get_uint64());
  if (!v.is_double()) return std::nullopt;
  const double d = v.get_double();  // Boost.JSON turns 1e400 into infinity
  if (std::isnan(d)) return std::nullopt;
  if (d >= 9.2e18) return kMax;
  if (d <= -9.2e18) return kMin;
  return static_cast<std::int64_t>(std::floor(d));
}

// Splits a space-separated scope list (RFC 6749 section 3.3).
void AppendScopes(std::string_view text, std::vector<std::string>& out) {
  while (!text.empty()) {
    const std::size_t space = text.find(' ');
    const std::string_view scope = text.substr(0, space);
    if (!scope.empty()) out.emplace_back(scope);
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
}

bool AudienceMatches(const json::value& aud, std::string_view audience) {
  if (const json::string* s = aud.if_string()) return *s == audience;
  if (const json::array* a = aud.if_array()) {
    return std::any_of(a->begin(), a->end(), [&](const json::value& v) {
      const json::string* s = v.if_string();
      return s != nullptr && *s == audience;
    });
  }
  return false;
}

// An optional string claim: true when absent or a string (copied to `out`).
bool OptionalString(const json::object& claims, std::string_view name, std::string& out) {
  const json::value* v = claims.if_contains(name);
  if (v == nullptr) return true;
  if (!v->is_string()) return false;
  out = v->get_string();
  return true;
}

}  // namespace

Result<Principal, TokenError> PrincipalFromClaims(const json::object& claims, const ValidatorOptions& options,
                                                  std::int64_t now_s, ExpPolicy exp_policy) {
  const std::int64_t leeway = std::clamp<std::int64_t>(options.leeway_s, 0, 24 * 3600);
  Principal p;

  if (const json::value* exp = claims.if_contains("exp")) {
    const auto t = NumericDate(*exp);
    if (!t) return TokenError::kMalformed;
    // RFC 7519 section 4.1.4: the current time must be before exp.
    if (now_s - leeway >= *t) return TokenError::kExpired;
    p.expires_at = *t;
  } else if (exp_policy == ExpPolicy::kRequired) {
    return TokenError::kMissingClaim;
  }
  if (const json::value* nbf = claims.if_contains("nbf")) {
    const auto t = NumericDate(*nbf);
    if (!t) return TokenError::kMalformed;
    if (now_s + leeway < *t) return TokenError::kNotYetValid;
  }
  // iat is informational (RFC 7519 section 4.1.6): only its type is checked.
  if (const json::value* iat = claims.if_contains("iat"); iat != nullptr && !NumericDate(*iat)) {
    return TokenError::kMalformed;
  }

  const json::value* iss = claims.if_contains("iss");
  if (iss == nullptr) return TokenError::kMissingClaim;
  const json::string* iss_text = iss->if_string();
  if (options.issuer.empty() || iss_text == nullptr || *iss_text != options.issuer) return TokenError::kWrongIssuer;
  p.issuer = *iss_text;

  const json::value* aud = claims.if_contains("aud");
  if (aud == nullptr) return TokenError::kMissingClaim;
  if (options.audience.empty() || !AudienceMatches(*aud, options.audience)) return TokenError::kWrongAudience;

  if (!OptionalString(claims, "sub", p.subject)) return TokenError::kMalformed;
  if (!OptionalString(claims, "client_id", p.client_id)) return TokenError::kMalformed;
  if (p.client_id.empty() && !OptionalString(claims, "azp", p.client_id)) return TokenError::kMalformed;

  if (const json::value* scope = claims.if_contains("scope")) {
    if (!scope->is_string()) return TokenError::kMalformed;
    AppendScopes(scope->get_string(), p.scopes);
  } else if (const json::value* scp = claims.if_contains("scp")) {
    if (const json::string* s = scp->if_string()) {
      AppendScopes(*s, p.scopes);
    } else if (const json::array* a = scp->if_array()) {
      for (const json::value& v : *a) {
        if (!v.is_string()) return TokenError::kMalformed;
        p.scopes.emplace_back(v.get_string());
      }
    } else {
      return TokenError::kMalformed;
    }
  }
  return p;
}

}  // namespace mcpx::auth
