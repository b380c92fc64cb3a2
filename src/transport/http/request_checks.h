// Pure checks on HTTP request headers, apart from any socket so they can be
// unit-tested and fuzzed. Thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mcpx::transport::http {

// Accept header media ranges ("*/*", "text/*" and parameters understood).
bool AcceptsMediaType(std::string_view accept, std::string_view type);
// "application/json", optionally with parameters such as charset.
bool IsJsonContentType(std::string_view content_type);

// Host and Origin allowlists for DNS-rebinding protection. Comparison is
// case-insensitive.
class HostPolicy {
 public:
  // Empty lists: the defaults for `bind_host`:`port` (see HttpOptions).
  HostPolicy(std::string_view bind_host, unsigned port, std::vector<std::string> hosts,
             std::vector<std::string> origins);
  bool HostAllowed(std::string_view host) const;
  // An absent Origin (non-browser clients) is allowed.
  bool OriginAllowed(std::string_view origin) const;

 private:
  std::vector<std::string> hosts_;
  std::vector<std::string> origins_;
};

}  // namespace mcpx::transport::http
