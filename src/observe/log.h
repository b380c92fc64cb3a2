// The library's diagnostic log: spdlog to stderr (never stdout, which belongs
// to the stdio transport). Thread-safe. Level from MCPX_LOG_LEVEL
// (trace, debug, info, warn, error, off; default info).
#pragma once

#include <spdlog/spdlog.h>

namespace mcpx::observe {

spdlog::logger& Log();

}  // namespace mcpx::observe
