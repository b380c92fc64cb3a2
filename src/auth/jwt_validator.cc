#include "auth/jwt_validator.h"

#include <algorithm>
#include <optional>
#include <string>

#include "auth/base64url.h"
#include "auth/claims.h"
#include "mcpx/json.h"

namespace mcpx::auth {
namespace {

// A base64url segment holding a JSON object; nullopt otherwise.
std::optional<json::object> DecodeObject(std::string_view segment) {
  const std::optional<std::string> text = Base64UrlDecode(segment);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 16;  // claims are flat; a deep tree is an attack, not a token
  json::value v = json::parse(*text, ec, {}, options);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
  });
}

// RFC 9068 section 2.1 asks for "at+jwt"; plain "JWT" and no typ are what
// many authorization servers still send. RFC 7515 section 4.1.9: the
// "application/" prefix may be omitted, and the comparison ignores case.
bool TypAccepted(const json::value* typ) {
  if (typ == nullptr) return true;
  const json::string* s = typ->if_string();
  if (s == nullptr) return false;
  std::string_view t = *s;
  if (t.size() > 12 && EqualsIgnoreCase(t.substr(0, 12), "application/")) t.remove_prefix(12);
  return EqualsIgnoreCase(t, "at+jwt") || EqualsIgnoreCase(t, "jwt");
}

}  // namespace

Result<Principal, TokenError> ValidateJwt(std::string_view token, const KeySet& keys, const ValidatorOptions& options,
                                          std::int64_t now_s) {
  if (token.size() > kMaxTokenBytes) return TokenError::kTooLarge;
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return TokenError::kMalformed;
  }
  const std::string_view signing_input = token.substr(0, dot2);

  const std::optional<json::object> header = DecodeObject(token.substr(0, dot1));
  if (!header) return TokenError::kMalformed;
  const json::value* alg_name = header->if_contains("alg");
  if (alg_name == nullptr || !alg_name->is_string()) return TokenError::kMalformed;
  const std::optional<JwsAlgorithm> alg = ParseJwsAlgorithm(alg_name->get_string());
  if (!alg || std::find(options.algorithms.begin(), options.algorithms.end(), alg_name->get_string()) ==
                  options.algorithms.end()) {
    return TokenError::kUnsupportedAlgorithm;
  }
  const json::value* kid = header->if_contains("kid");
  if ((kid != nullptr && !kid->is_string()) || header->contains("crit") || !TypAccepted(header->if_contains("typ"))) {
    return TokenError::kMalformed;
  }

  const std::optional<std::string> signature = Base64UrlDecode(token.substr(dot2 + 1));
  if (!signature || signature->empty()) return TokenError::kMalformed;
  switch (keys.Verify(kid != nullptr ? std::string_view(kid->get_string()) : std::string_view(), *alg, signing_input,
                      *signature)) {
    case KeySet::Verdict::kVerified: break;
    case KeySet::Verdict::kNoKey: return TokenError::kUnknownKey;
    case KeySet::Verdict::kBadSignature: return TokenError::kBadSignature;
  }

  const std::optional<json::object> claims = DecodeObject(token.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!claims) return TokenError::kMalformed;
  return PrincipalFromClaims(*claims, options, now_s, ExpPolicy::kRequired);
}

}  // namespace mcpx::auth
