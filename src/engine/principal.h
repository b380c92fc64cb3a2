// Who a request speaks for, when its transport authenticated it (HTTP bearer
// tokens, transport/http/bearer.h): what the engine binds a session to, and
// what it checks a tool's, prompt's or resource's scopes against.
//
// Thread safety: immutable once made; shared by every request of a token.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mcpx::engine {

struct Principal {
  // The identity sessions are bound to: the token's issuer and subject (or
  // client, for a token without a subject), joined by a space, which
  // neither may contain.
  std::string key;
  std::vector<std::string> scopes;

  bool Has(std::string_view scope) const { return std::find(scopes.begin(), scopes.end(), scope) != scopes.end(); }
  bool HasAll(const std::vector<std::string>& needed) const {
    return std::all_of(needed.begin(), needed.end(), [this](const std::string& s) { return Has(s); });
  }
};

using PrincipalPtr = std::shared_ptr<const Principal>;

}  // namespace mcpx::engine
