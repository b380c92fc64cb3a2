// MCP protocol revisions: which ones mcpx speaks and how a message is told to
// belong to one. Revisions are dates (YYYY-MM-DD), so they order as strings.
//
// Two eras share one endpoint:
//   legacy  (2025-03-26 to 2025-11-25): a session opened by initialize fixes
//           the revision for every later message;
//   modern  (2026-07-28 on): no session; every request names its revision,
//           capabilities and client in params._meta (keys in meta.h).
#pragma once

#include <span>
#include <string_view>

namespace mcpx::protocol {

// The legacy revisions this build speaks, newest first: what initialize
// negotiates.
std::span<const std::string_view> SupportedVersions();
// The newest of them: what initialize offers a client asking for one we do
// not speak.
std::string_view LatestVersion();
bool IsSupportedVersion(std::string_view version);

// The modern revisions this build speaks, newest first: what server/discover
// lists and an unsupported-version error offers.
std::span<const std::string_view> ModernVersions();
bool IsModernVersion(std::string_view version);
// Whether a version string names a legacy revision (spoken here or not):
// anything else a client names selects the modern path.
bool IsLegacyRevision(std::string_view version);

// Initialize's negotiation: a supported version is echoed, anything else is
// answered with our latest (the client then decides whether to go on).
std::string_view NegotiateVersion(std::string_view requested);

// Whether a request naming `claimed` (say, in the MCP-Protocol-Version
// header) may be served by a session that negotiated `negotiated`: the same
// revision or an older one (older revisions' requests are a subset, and the
// official conformance suite itself sends 2025-03-26 on 2025-11-25 sessions),
// never a newer one, which would ask for behaviour the session lacks.
bool MayServe(std::string_view negotiated, std::string_view claimed);

}  // namespace mcpx::protocol
