// Bearer authentication of the HTTP transport: mcpx as an OAuth 2.1
// resource server (MCP authorization; RFC 9728, RFC 8707, RFC 6750).
//
// With HttpOptions::auth set, every request to the MCP endpoint needs
// `Authorization: Bearer <token>`, a JWT access token signed by a key of
// the authorization server (RS256, ES256 or EdDSA), issued by `issuer`, for
// `resource`, not expired; or, with `introspection_uri`, a token the
// authorization server's introspection endpoint says is active (RFC 7662),
// with the same checks on what it answers. Without one: 401 and
// `WWW-Authenticate: Bearer resource_metadata="<resource's metadata URL>"`,
// which a client follows to GET /.well-known/oauth-protected-resource and
// from there to the authorization server. A session is bound to the
// principal (issuer and subject) whose token opened it: another principal
// naming it is answered as for an unknown session. Tools, prompts and
// resources may require scopes (Tool::scopes): a token without them gets
// 403 `error="insufficient_scope"` and does not see the item in lists.
// Tokens are never logged and never passed on.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace mcpx {

struct AuthOptions {
  // This server's canonical URI, which tokens must name in "aud" (RFC 8707)
  // and the metadata document names as "resource": the MCP endpoint's
  // public URL, e.g. "https://mcp.example.com/mcp". Empty: the URL of the
  // listener ("http://<host>:<port><path>"), right only for a server
  // reached directly.
  std::string resource;
  // The authorization server's issuer identifier: tokens' "iss" must equal
  // it exactly; the metadata lists it in "authorization_servers".
  std::string issuer;
  // Where the verification keys come from (one of the two): a JWKS file,
  // read at start, or the authorization server's jwks_uri, fetched at start
  // and again every `jwks_refresh` and when a token names an unknown key
  // (at most every 30 s).
  std::string jwks_file;
  std::string jwks_uri;
  std::chrono::seconds jwks_refresh = std::chrono::hours(1);
  // Scopes every request needs, besides what an item needs; and the scopes
  // the metadata advertises ("scopes_supported"; empty: not advertised).
  std::vector<std::string> required_scopes;
  std::vector<std::string> scopes_supported;
  // Clock skew tolerated on "exp" and "nbf".
  std::chrono::seconds leeway{60};
  // Token introspection (RFC 7662), for opaque access tokens (any token
  // that is not a JWT): the authorization server's introspection endpoint
  // and this server's client credentials there (HTTP Basic). Answers are
  // cached by the token's SHA-256 for at most `introspection_cache_ttl`
  // (never past the token's "exp"); a request whose token is not cached
  // waits for the call, made off the I/O threads (at most 64 distinct
  // tokens at once; past that, and while the authorization server does not
  // answer, 503 with Retry-After). Empty: opaque tokens are refused. May be
  // combined with jwks_file/jwks_uri (JWTs are then checked locally) or
  // stand alone (every token is then introspected).
  std::string introspection_uri;
  std::string client_id;
  std::string client_secret;
  std::chrono::seconds introspection_cache_ttl{60};
};

}  // namespace mcpx
