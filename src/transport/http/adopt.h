// Serves an already-connected stream socket (any SOCK_STREAM descriptor: a
// Unix socketpair end in tests and fuzz targets) with a transport's real
// connection code, as if it had been accepted by its listener. Internal.
#pragma once

#include "mcpx/http_transport.h"

namespace mcpx::transport::http {

// Takes ownership of `fd`. The transport must have been Listen()ed (its
// options and host policy apply: the Host of requests must be allowed).
void AdoptConnection(HttpTransport& transport, int fd);

}  // namespace mcpx::transport::http
