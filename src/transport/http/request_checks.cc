#include "transport/http/request_checks.h"

#include <algorithm>

#include <boost/beast/core/string.hpp>

namespace mcpx::transport::http {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// ASCII case-insensitive, as HTTP tokens are (no locale lookups).
bool IEquals(std::string_view a, std::string_view b) { return boost::beast::iequals(a, b); }

bool ContainsIgnoringCase(const std::vector<std::string>& list, std::string_view s) {
  return std::any_of(list.begin(), list.end(), [s](const std::string& x) { return IEquals(x, s); });
}

}  // namespace

void RequestHeaders::Clear() {
  for (std::string* s : {&host, &origin, &accept, &content_type, &session_id, &protocol_version,
                         &last_event_id, &mcp_method, &mcp_name, &authorization}) {
    s->clear();
  }
  principal.reset();
  mcp_params.clear();
  expect_continue = false;
  seen = 0;
}

bool RecordHeader(RequestHeaders& h, boost::beast::http::field name, std::string_view name_string,
                  std::string_view value) {
  using boost::beast::http::field;
  std::string* slot = nullptr;
  unsigned bit = 0;
  switch (name) {
    case field::host: slot = &h.host, bit = 1; break;
    case field::origin: slot = &h.origin, bit = 2; break;
    case field::content_type: slot = &h.content_type, bit = 4; break;
    case field::authorization: slot = &h.authorization, bit = 256; break;
    case field::accept:
      if (!h.accept.empty()) h.accept.append(", ");
      h.accept.append(value);
      return true;
    case field::expect:
      // 100-continue is the only expectation defined (RFC 9110 10.1.1).
      h.expect_continue = h.expect_continue || IEquals(Trim(value), "100-continue");
      return true;
    case field::unknown:
      if (IEquals(name_string, kSessionHeader)) {
        slot = &h.session_id, bit = 8;
      } else if (IEquals(name_string, kVersionHeader)) {
        slot = &h.protocol_version, bit = 16;
      } else if (IEquals(name_string, kLastEventIdHeader)) {
        slot = &h.last_event_id, bit = 32;
      } else if (IEquals(name_string, kMethodHeader)) {
        slot = &h.mcp_method, bit = 64;
      } else if (IEquals(name_string, kNameHeader)) {
        slot = &h.mcp_name, bit = 128;
      } else if (name_string.size() > kParamHeaderPrefix.size() &&
                 IEquals(name_string.substr(0, kParamHeaderPrefix.size()), kParamHeaderPrefix)) {
        const std::string_view param = name_string.substr(kParamHeaderPrefix.size());
        for (const auto& [known, ignored] : h.mcp_params) {
          if (IEquals(known, param)) return false;
        }
        h.mcp_params.emplace_back(param, value);
        return true;
      }
      break;
    default:
      break;
  }
  if (slot == nullptr) return true;
  if (h.seen & bit) return false;  // presence, not content, makes a duplicate
  h.seen |= bit;
  slot->assign(value);
  return true;
}

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
  hosts_ = std::move(hosts);
  origins_ = std::move(origins);
}

bool HostPolicy::HostAllowed(std::string_view host) const {
  return ContainsIgnoringCase(hosts_, Trim(host));
}

bool HostPolicy::OriginAllowed(std::string_view origin) const {
  return origin.empty() || ContainsIgnoringCase(origins_, Trim(origin));
}

}  // namespace mcpx::transport::http
