#include "protocol/version.h"

#include <algorithm>
#include <iterator>

namespace mcpx::protocol {
namespace {

constexpr std::string_view kSupported[] = {"2025-11-25", "2025-06-18", "2025-03-26"};
constexpr std::string_view kModern[] = {"2026-07-28"};
// Every revision of the initialize era, including ones this build no longer
// speaks.
constexpr std::string_view kLegacy[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};

template <std::size_t N>
bool Contains(const std::string_view (&list)[N], std::string_view v) {
  return std::find(std::begin(list), std::end(list), v) != std::end(list);
}

}  // namespace

std::span<const std::string_view> SupportedVersions() { return kSupported; }
std::string_view LatestVersion() { return kSupported[0]; }
bool IsSupportedVersion(std::string_view version) { return Contains(kSupported, version); }

std::span<const std::string_view> ModernVersions() { return kModern; }
bool IsModernVersion(std::string_view version) { return Contains(kModern, version); }
bool IsLegacyRevision(std::string_view version) { return Contains(kLegacy, version); }

std::string_view NegotiateVersion(std::string_view requested) {
  return IsSupportedVersion(requested) ? requested : LatestVersion();
}

bool MayServe(std::string_view negotiated, std::string_view claimed) { return claimed <= negotiated; }

}  // namespace mcpx::protocol
