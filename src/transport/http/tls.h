// The HTTP listener's TLS (HttpOptions::tls): the server context made from
// PEM files, and the holder that lets a running listener swap it for one
// made from the files as they are now (certificate rotation; mcpxd does it on
// SIGHUP). A connection keeps the context it was accepted with.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "common/mutex.h"
#include "mcpx/http_transport.h"

namespace mcpx::transport::http {

// A server context: TLS 1.2 and later, the certificate chain and key of
// `options` (the key checked against the certificate), ALPN "http/1.1".
// Null, with `error` naming the file and OpenSSL's reason, when the files
// cannot be used.
std::shared_ptr<boost::asio::ssl::context> MakeTlsContext(const TlsOptions& options, std::string* error);

// Thread safety: every member may be called from any thread.
class TlsContextHolder {
 public:
  TlsContextHolder(TlsOptions options, std::shared_ptr<boost::asio::ssl::context> context)
      : options_(std::move(options)), context_(std::move(context)) {}

  // The context new connections get.
  std::shared_ptr<boost::asio::ssl::context> Current() const;
  // Reads the files again: on success new connections get the new context;
  // on failure nothing changes and `error` says why.
  bool Reload(std::string* error);

 private:
  const TlsOptions options_;
  mutable Mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> context_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mcpx::transport::http
