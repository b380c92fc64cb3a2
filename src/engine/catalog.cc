#include "engine/catalog.h"

#include <algorithm>
#include <stdexcept>

#include "observe/log.h"

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

std::shared_ptr<const CompiledSchema> Compile(const std::string& tool, std::string_view which,
                                              const json::object& schema) {
  std::string error;
  auto compiled = CompiledSchema::Compile(schema, &error);
  if (!compiled) throw std::invalid_argument("tool '" + tool + "': its " + std::string(which) + " " + error);
  for (const std::string& keyword : compiled->IgnoredKeywords()) {
    observe::Log().warn("tool '{}': its {} uses '{}', which is not checked", tool, which, keyword);
  }
  return compiled;
}

}  // namespace

ToolEntry::ToolEntry(Tool tool, const std::optional<BreakerPolicy>& default_breaker)
    : Tool(std::move(tool)),
      input_validator(Compile(name, "inputSchema", input_schema)),
      output_validator(output_schema ? Compile(name, "outputSchema", *output_schema) : nullptr),
      call_rate(rate, rate_burst),
      breaker(MakeBreaker(Tool::breaker ? Tool::breaker : default_breaker)) {}

std::string ToolEntry::CheckArguments(const json::value* arguments) const {
  static const json::value kNone = json::object();
  return input_validator->Validate(arguments && !arguments->is_null() ? *arguments : kNone);
}

std::string ToolEntry::CheckStructured(const json::value& structured) const {
  return output_validator ? output_validator->Validate(structured) : std::string();
}

}  // namespace mcpx::engine
