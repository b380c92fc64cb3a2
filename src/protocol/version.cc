#include "protocol/version.h"

#include <algorithm>
#include <iterator>

namespace mcpx::protocol {
namespace {

constexpr std::string_view kSupported[] = {"2025-11-25", "2025-06-18", "2025-03-26"};

}  // namespace

std::span<const std::string_view> SupportedVersions() { return kSupported; }

std::string_view LatestVersion() { return kSupported[0]; }

bool IsSupportedVersion(std::string_view version) {
  return std::find(std::begin(kSupported), std::end(kSupported), version) != std::end(kSupported);
}

std::string_view NegotiateVersion(std::string_view requested) {
  return IsSupportedVersion(requested) ? requested : LatestVersion();
}

bool MayServe(std::string_view negotiated, std::string_view claimed) { return claimed <= negotiated; }

}  // namespace mcpx::protocol
