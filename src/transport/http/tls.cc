#include "transport/http/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string_view>

namespace mcpx::transport::http {
namespace ssl = boost::asio::ssl;

namespace {

// OpenSSL's reason for the last failure, e.g. "no start line".
std::string Reason(const boost::system::error_code& ec) {
  std::string reason = ec.message();
  ERR_clear_error();
  return reason;
}

// Picks "http/1.1" when the client offers it; otherwise no ALPN at all (the
// client may still speak HTTP/1.1; one that insists on h2 gives up).
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in, unsigned in_len,
               void*) {
  static constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, kHttp11, sizeof kHttp11, in, in_len) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

std::shared_ptr<ssl::context> MakeTlsContext(const TlsOptions& options, std::string* error) {
  auto fail = [error](std::string message) {
    if (error) *error = std::move(message);
    return nullptr;
  };
  if (options.certificate_chain_file.empty() || options.private_key_file.empty()) {
    return fail("TLS needs both a certificate chain file and a private key file");
  }
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                       ec);
  if (ec) return fail("cannot set up TLS: " + Reason(ec));
  // An encrypted key is refused, never prompted for on a terminal (a reload
  // runs on the signal thread).
  context->set_password_callback([](std::size_t, ssl::context::password_purpose) { return std::string(); }, ec);
  if (ec) return fail("cannot set up TLS: " + Reason(ec));
  context->use_certificate_chain_file(options.certificate_chain_file, ec);
  if (ec) return fail("cannot use the certificate chain " + options.certificate_chain_file + ": " + Reason(ec));
  context->use_private_key_file(options.private_key_file, ssl::context::pem, ec);
  if (ec) return fail("cannot use the private key " + options.private_key_file + ": " + Reason(ec));
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return fail("the private key " + options.private_key_file + " does not match the certificate in " +
                options.certificate_chain_file);
  }
  SSL_CTX_set_alpn_select_cb(native, SelectAlpn, nullptr);
  return context;
}

std::shared_ptr<ssl::context> TlsContextHolder::Current() const {
  ReaderMutexLock lock(&mu_);
  return context_;
}

bool TlsContextHolder::Reload(std::string* error) {
  auto fresh = MakeTlsContext(options_, error);
  if (!fresh) return false;
  MutexLock lock(&mu_);
  context_ = std::move(fresh);
  return true;
}

}  // namespace mcpx::transport::http
