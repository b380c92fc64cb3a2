// The bearer-authentication flags of mcpxd (HttpOptions::auth, mcpx/auth.h).
#pragma once

#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "mcpx/http_transport.h"

namespace mcpx::apps {

// Adds the flags to `app`; call the returned function after parsing: it sets
// `http.auth` when an issuer was given.
inline std::function<void()> AddAuthFlags(CLI::App& app, HttpOptions& http) {
  auto auth = std::make_shared<AuthOptions>();
  app.add_option("--auth-issuer", auth->issuer,
                 "Require bearer tokens from this OAuth authorization server (its issuer identifier)");
  app.add_option("--auth-jwks-file", auth->jwks_file, "The authorization server's keys, a JWKS file");
  app.add_option("--auth-jwks-uri", auth->jwks_uri, "The authorization server's keys, fetched from its jwks_uri");
  app.add_option("--auth-resource", auth->resource,
                 "This server's canonical URI, which tokens must be issued for (default: the listener's URL)");
  app.add_option("--auth-scopes-supported", auth->scopes_supported, "Scopes the metadata advertises")
      ->delimiter(',');
  app.add_option("--auth-required-scope", auth->required_scopes, "A scope every request needs")->delimiter(',');
  app.add_option("--auth-introspection-uri", auth->introspection_uri,
                 "Check opaque tokens (all tokens, without keys) at this introspection endpoint (RFC 7662); the "
                 "client secret comes from MCPX_AUTH_CLIENT_SECRET");
  app.add_option("--auth-client-id", auth->client_id, "This server's client id at the introspection endpoint");
  return [&http, auth] {
    if (auth->issuer.empty()) return;
    // A secret, so from the environment rather than the command line.
    if (const char* secret = std::getenv("MCPX_AUTH_CLIENT_SECRET"); secret != nullptr) auth->client_secret = secret;
    http.auth = *auth;
  };
}

}  // namespace mcpx::apps
