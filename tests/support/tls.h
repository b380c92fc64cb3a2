// TLS for tests: a self-signed certificate made with OpenSSL (an EC P-256
// key, the subject's common name given, subjectAltName IP:127.0.0.1) written
// as PEM files, and a blocking HTTPS client that verifies the server against
// the certificates it is told to trust. Loopback only.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "support/http_client.h"

namespace mcpx::testing {

// Writes a fresh self-signed certificate and its key to `cert_path` and
// `key_path` (PEM), replacing what was there.
inline void WriteSelfSignedCertificate(const std::string& common_name, const std::string& cert_path,
                                       const std::string& key_path) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) throw std::runtime_error("OpenSSL: cannot make a key or certificate");
  X509_set_version(cert.get(), 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
  if (san == nullptr) throw std::runtime_error("OpenSSL: cannot make subjectAltName");
  X509_add_ext(cert.get(), san, -1);
  X509_EXTENSION_free(san);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) throw std::runtime_error("OpenSSL: cannot sign");

  auto write = [](const std::string& path, auto&& emit) {
    std::unique_ptr<FILE, decltype(&std::fclose)> f(std::fopen(path.c_str(), "w"), std::fclose);
    if (!f || emit(f.get()) != 1) throw std::runtime_error("cannot write " + path);
  };
  write(cert_path, [&](FILE* f) { return PEM_write_X509(f, cert.get()); });
  write(key_path, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
}

// One verified HTTPS connection to 127.0.0.1:`port`, trusting only
// `trusted` (PEM files). Throws boost::system::system_error when the
// handshake fails.
class HttpsClient {
 public:
  HttpsClient(unsigned short port, const std::vector<std::string>& trusted)
      : context_(boost::asio::ssl::context::tls_client), stream_(io_, context_) {
    for (const auto& file : trusted) context_.load_verify_file(file);
    stream_.set_verify_mode(boost::asio::ssl::verify_peer);
    stream_.set_verify_callback(boost::asio::ssl::host_name_verification("127.0.0.1"));
    static constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_set_alpn_protos(stream_.native_handle(), kAlpn, sizeof kAlpn);
    stream_.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port});
    stream_.handshake(boost::asio::ssl::stream_base::client);
  }

  // The server certificate's subject common name.
  std::string PeerCommonName() {
    std::unique_ptr<X509, decltype(&X509_free)> peer(SSL_get1_peer_certificate(stream_.native_handle()), X509_free);
    if (!peer) return {};
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer.get()), NID_commonName, cn, sizeof cn);
    return cn;
  }
  // Ends the TCP connection with no TLS close_notify first.
  void CloseWithoutNotify() {
    boost::system::error_code ignored;
    stream_.next_layer().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.next_layer().close(ignored);
  }
  // The protocol ALPN settled on ("" for none).
  std::string Alpn() {
    const unsigned char* data = nullptr;
    unsigned len = 0;
    SSL_get0_alpn_selected(stream_.native_handle(), &data, &len);
    return std::string(reinterpret_cast<const char*>(data), len);
  }

  HttpResponse Request(const std::string& method, const std::string& target, const std::string& body,
                       const std::map<std::string, std::string>& headers) {
    const std::string raw = HttpClient::Build(method, target, body, headers);
    boost::asio::write(stream_, boost::asio::buffer(raw));
    return HttpClient::ReadResponse(stream_, buffer_);
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ssl::context context_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace mcpx::testing
