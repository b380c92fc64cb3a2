#include "engine/catalog.h"

#include <algorithm>

namespace mcpx::engine {
namespace {

std::unique_ptr<guard::CircuitBreaker> MakeBreaker(const std::optional<BreakerPolicy>& policy) {
  if (!policy || (policy->failure_rate <= 0 && policy->slow_rate <= 0)) return nullptr;
  const auto us = [](std::chrono::milliseconds ms) { return static_cast<std::int64_t>(ms.count()) * 1000; };
  return std::make_unique<guard::CircuitBreaker>(guard::BreakerOptions{
      .failure_rate = policy->failure_rate,
      .slow_rate = policy->slow_rate,
      .slow_call_us = us(policy->slow_call),
      .min_calls = std::max<std::uint32_t>(1, policy->min_calls),
      .window_us = std::max<std::int64_t>(us(policy->window), 1000),
      .open_for_us = us(policy->open_for),
      .half_open_calls = std::max<std::uint32_t>(1, policy->half_open_calls)});
}

}  // namespace

ToolEntry::ToolEntry(Tool tool, const std::optional<BreakerPolicy>& default_breaker)
    : Tool(std::move(tool)),
      call_rate(rate, rate_burst),
      breaker(MakeBreaker(Tool::breaker ? Tool::breaker : default_breaker)) {}

bool MatchUriTemplate(std::string_view tpl, std::string_view uri,
                      std::map<std::string, std::string>& vars) {
  std::map<std::string, std::string> found;
  std::size_t t = 0;
  std::size_t u = 0;
  while (t < tpl.size()) {
    if (tpl[t] != '{') {
      if (u >= uri.size() || uri[u] != tpl[t]) return false;
      ++t;
      ++u;
      continue;
    }
    const std::size_t close = tpl.find('}', t);
    if (close == std::string_view::npos) return false;
    std::string name(tpl.substr(t + 1, close - t - 1));
    t = close + 1;
    // The variable runs up to the next literal character of the template (or
    // the end), and never spans a '/'.
    const char stop = t < tpl.size() ? tpl[t] : '\0';
    std::size_t end = u;
    while (end < uri.size() && uri[end] != '/' && (stop == '\0' || uri[end] != stop)) ++end;
    if (end == u) return false;
    // A variable has one value (RFC 6570): a name used twice must match the
    // same text both times (found by fuzz_uri_template).
    const auto [it, inserted] = found.try_emplace(std::move(name), uri.substr(u, end - u));
    if (!inserted && it->second != uri.substr(u, end - u)) return false;
    u = end;
  }
  if (u != uri.size()) return false;
  vars = std::move(found);
  return true;
}

}  // namespace mcpx::engine
