#include "transport/http/request_checks.h"

#include <algorithm>
#include <cctype>

namespace mcpx::transport::http {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool AcceptsMediaType(std::string_view accept, std::string_view type) {
  const auto slash = type.find('/');
  const std::string_view major = type.substr(0, slash);
  while (!accept.empty()) {
    const auto comma = accept.find(',');
    std::string_view range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    range = Trim(range.substr(0, range.find(';')));
    if (IEquals(range, type) || range == "*/*") return true;
    if (range.size() == major.size() + 2 && IEquals(range.substr(0, major.size()), major) &&
        range.substr(major.size()) == "/*") {
      return true;
    }
  }
  return false;
}

bool IsJsonContentType(std::string_view content_type) {
  return IEquals(Trim(content_type.substr(0, content_type.find(';'))), "application/json");
}

HostPolicy::HostPolicy(std::string_view bind_host, unsigned port, std::vector<std::string> hosts,
                       std::vector<std::string> origins) {
  if (hosts.empty()) {
    std::vector<std::string> names = {std::string(bind_host), "localhost", "127.0.0.1", "[::1]"};
    if (bind_host == "::1") names.push_back("[::1]");
    const std::string p = std::to_string(port);
    for (const auto& n : names) {
      hosts.push_back(n);
      hosts.push_back(n);
      hosts.back().append(1, ':').append(p);
    }
  }
  if (origins.empty()) {
    for (const auto& h : hosts) {
      for (std::string_view scheme : {"http://", "https://"}) {
        std::string origin(scheme);
        origin.append(h);
        origins.push_back(std::move(origin));
      }
    }
  }
  for (auto& h : hosts) hosts_.push_back(Lower(h));
  for (auto& o : origins) origins_.push_back(Lower(o));
}

bool HostPolicy::HostAllowed(std::string_view host) const {
  const std::string h = Lower(Trim(host));
  return std::find(hosts_.begin(), hosts_.end(), h) != hosts_.end();
}

bool HostPolicy::OriginAllowed(std::string_view origin) const {
  if (origin.empty()) return true;
  const std::string o = Lower(Trim(origin));
  return std::find(origins_.begin(), origins_.end(), o) != origins_.end();
}

}  // namespace mcpx::transport::http
