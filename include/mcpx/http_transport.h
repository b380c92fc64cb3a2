// Streamable HTTP transport (MCP basic/transports): one endpoint that takes
// POST (a JSON-RPC message; answered with JSON or an SSE stream), GET (the
// session's standalone SSE stream, or a resumption with Last-Event-ID) and
// DELETE (ends the session). Also serves GET /metrics and GET /healthz.
//
// Every request is validated before it reaches the engine: Host and Origin
// against an allowlist (DNS-rebinding protection), Accept, Content-Type,
// MCP-Protocol-Version, Mcp-Session-Id, header and body size limits.
//
// Thread safety: Listen() and Close() may be called from any thread. Each
// connection lives on one of the server's I/O threads.
//
// Example:
//   mcpx::HttpTransport http(server, {.host = "127.0.0.1", .port = 8080});
//   std::uint16_t port = http.Listen();
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mcpx/auth.h"

namespace mcpx {

class Server;
class HttpTransport;
namespace transport::http {
void AdoptConnection(HttpTransport& transport, int fd);  // tests and fuzzing
}

// TLS on the listener (HttpOptions::tls): TLS 1.2 and 1.3 with OpenSSL's
// default cipher suites, ALPN "http/1.1". The files are read at Listen()
// and again by HttpTransport::ReloadCertificates().
struct TlsOptions {
  std::string certificate_chain_file;  // PEM: the server's certificate, then its intermediates
  std::string private_key_file;        // PEM, unencrypted
};

struct HttpOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port (see Listen's result)
  std::string path = "/mcp";

  std::size_t max_body_bytes = 4 << 20;    // larger bodies: 413
  std::size_t max_header_bytes = 16 << 10; // larger header sections (and trailers): 431
  std::size_t max_header_fields = 100;     // header and trailer fields together; more: 431
  // Further connections are closed at once. 0: derived from the file
  // descriptor limit at Listen() (the soft limit raised to the hard one, less
  // a reserve of 64 for the rest of the process); both are logged.
  std::size_t max_connections = 0;
  bool raise_fd_limit = true;              // raise RLIMIT_NOFILE's soft limit at Listen()

  // Allowed Host and Origin values. Empty: the bound address and its localhost
  // forms ("127.0.0.1:PORT", "localhost:PORT", "[::1]:PORT" and the same
  // without port; origins "http://" + those).
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> allowed_origins;

  // Answer requests with application/json when the handler sends nothing
  // before its result; otherwise with an SSE stream. False: always SSE.
  bool json_responses = true;

  std::chrono::milliseconds read_timeout = std::chrono::seconds(30);   // one request, from its first byte
  std::chrono::milliseconds header_timeout = std::chrono::seconds(10);  // its head, from its first byte
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(120);  // keep-alive wait
  std::chrono::milliseconds write_timeout = std::chrono::seconds(30);  // a stalled write
  std::chrono::milliseconds keepalive_interval = std::chrono::seconds(15);  // SSE comments
  int sse_retry_ms = 1000;                 // the retry: hint sent to clients
  // Output queued on one connection before its client counts as too slow
  // and is disconnected (a resumable stream keeps its events in the store).
  std::size_t max_stream_backlog = 1024;            // frames
  std::size_t max_stream_backlog_bytes = 4 << 20;   // bytes (one larger frame alone still goes)
  // Per session, for resumption with Last-Event-ID: the most recent events,
  // oldest evicted first; an event larger than event_store_bytes is sent but
  // not kept. All sessions' stores together hold at most
  // event_store_total_bytes; past it a store evicts its own oldest events.
  std::size_t event_store_events = 512;
  std::size_t event_store_bytes = 256 << 10;
  std::size_t event_store_total_bytes = 256 << 20;
  // GET /metrics and GET /healthz: for `Authorization: Bearer
  // <metrics_token>` when one is set; without one, only on a loopback bind (a
  // server bound elsewhere does not publish its internals to whoever reaches
  // it, and says so at start). On a loopback bind /healthz needs no token.
  // To serve them elsewhere without a token, give them a listener of their
  // own: a second HttpTransport with `serve_mcp = false` on a loopback or
  // internal address, and `serve_metrics = false` here.
  bool serve_metrics = true;
  std::string metrics_token;
  // False: an operations listener, serving /metrics, /healthz and the admin
  // endpoint only (the MCP endpoint and the OAuth metadata are 404; `auth`
  // is not used).
  bool serve_mcp = true;

  // Requests per second from one client address (a token bucket holding
  // `ip_burst` requests; 0: ip_rate). Past it: 429 with Retry-After and a
  // JSON-RPC error, decided when the request's head is in, before its body
  // is read or any JSON parsed; the connection closes after it. 0: no limit.
  double ip_rate = 0;
  double ip_burst = 0;
  // Connections open at once from one client address; further ones are
  // closed as they are accepted. 0: no limit.
  std::size_t max_connections_per_ip = 0;
  // New connections per second from one client address (a bucket holding
  // `ip_connection_burst`; 0: ip_connection_rate); further ones are closed
  // as they are accepted. 0: no limit.
  double ip_connection_rate = 0;
  double ip_connection_burst = 0;
  // Addresses tracked at once; past it an address shares the bucket of its
  // /24 (IPv4) or /64 (IPv6), then one bucket for all the rest.
  std::size_t max_rate_keys = 65536;

  // IP reputation: offenses from a client address (malformed requests,
  // invalid tokens, rejected Host/Origin, rate-limit hits, header timeouts,
  // connections over the cap) raise its score, which decays by 1 point a
  // second; at `reputation_threshold` the address is refused for
  // `reputation_cooldown`: its new connections close at accept, and a
  // request on one already open gets 403. Weights: malformed 10, invalid
  // token 20, Host/Origin 20, header timeout 10, rate limit 2, connection
  // cap 2. 0: off.
  double reputation_threshold = 0;
  std::chrono::seconds reputation_cooldown{60};

  // GET /admin/security-events, the security monitor's recent events and
  // busiest addresses as JSON, for `Authorization: Bearer <admin_token>`.
  // Empty: no admin endpoint.
  std::string admin_token;

  // Bearer authentication of the MCP endpoint (mcpx/auth.h). Unset: none.
  std::optional<AuthOptions> auth;

  // TLS on this listener. Unset: plain HTTP, for loopback or behind a
  // TLS-terminating proxy; a non-loopback bind without TLS logs a warning at
  // Listen() unless `behind_proxy` says a proxy terminates TLS in front.
  std::optional<TlsOptions> tls;
  bool behind_proxy = false;
  // How long a new TLS connection may take to complete its handshake.
  std::chrono::milliseconds tls_handshake_timeout = std::chrono::seconds(10);
};

class HttpTransport {
 public:
  HttpTransport(Server& server, HttpOptions options);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Binds and starts accepting; returns the bound port. Throws
  // std::system_error when the address cannot be bound.
  std::uint16_t Listen();
  // Stops accepting. Existing connections end with their sessions.
  void Close();
  // Reads HttpOptions::tls's files again (a renewed certificate): new
  // connections get them, open ones keep theirs. On failure (a file missing
  // or unreadable, a key that does not match) the listener keeps the old
  // certificate, and `error` says why. False too without TLS or before
  // Listen(). Any thread; mcpxd calls it on SIGHUP.
  bool ReloadCertificates(std::string* error = nullptr);

  class Impl;

 private:
  friend void transport::http::AdoptConnection(HttpTransport& transport, int fd);
  std::shared_ptr<Impl> impl_;
};

}  // namespace mcpx
