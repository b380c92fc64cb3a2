#include "observe/log.h"

#include <cstdlib>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace mcpx::observe {

spdlog::logger& Log() {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    auto l = spdlog::stderr_color_mt("mcpx");
    const char* level = std::getenv("MCPX_LOG_LEVEL");
    l->set_level(level ? spdlog::level::from_str(level) : spdlog::level::info);
    l->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ mcpx: %v");
    return l;
  }();
  return *logger;
}

}  // namespace mcpx::observe
