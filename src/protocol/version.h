// MCP protocol revisions: which ones mcpx speaks and how a client's request
// for one is answered. Revisions are dates (YYYY-MM-DD), so they order as
// strings.
#pragma once

#include <span>
#include <string_view>

namespace mcpx::protocol {

// The revisions this build speaks, newest first.
std::span<const std::string_view> SupportedVersions();
// The newest of them: what initialize offers a client asking for one we do
// not speak.
std::string_view LatestVersion();
bool IsSupportedVersion(std::string_view version);

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
