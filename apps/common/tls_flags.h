// The listener's TLS flags (HttpOptions::tls, behind_proxy).
#pragma once

#include <functional>
#include <memory>

#include <CLI/CLI.hpp>

#include "mcpx/http_transport.h"

namespace mcpx::apps {

// Adds the flags to `app`; call the returned function after parsing: it sets
// `http.tls` when a certificate was given.
inline std::function<void()> AddTlsFlags(CLI::App& app, HttpOptions& http) {
  auto tls = std::make_shared<TlsOptions>();
  auto* cert = app.add_option("--tls-cert", tls->certificate_chain_file,
                              "Serve HTTPS with this certificate chain (PEM; SIGHUP reads it again)");
  auto* key = app.add_option("--tls-key", tls->private_key_file, "The certificate's private key (PEM, unencrypted)");
  cert->needs(key);
  key->needs(cert);
  app.add_flag("--behind-proxy", http.behind_proxy,
               "A TLS-terminating proxy is in front: no warning for plain HTTP on a non-loopback address");
  return [&http, tls] {
    if (!tls->certificate_chain_file.empty()) http.tls = *tls;
  };
}

}  // namespace mcpx::apps
