// Reserved keys of params._meta and result _meta (MCP 2026-07-28, basic/index).
#pragma once

#include <string_view>

namespace mcpx::protocol::meta {

// Request _meta: required on every modern request.
inline constexpr std::string_view kProtocolVersion = "io.modelcontextprotocol/protocolVersion";
inline constexpr std::string_view kClientCapabilities = "io.modelcontextprotocol/clientCapabilities";
// Request _meta: optional.
inline constexpr std::string_view kClientInfo = "io.modelcontextprotocol/clientInfo";
inline constexpr std::string_view kLogLevel = "io.modelcontextprotocol/logLevel";
inline constexpr std::string_view kProgressToken = "progressToken";
// Result _meta.
inline constexpr std::string_view kServerInfo = "io.modelcontextprotocol/serverInfo";
// Notification _meta on a subscriptions/listen stream.
inline constexpr std::string_view kSubscriptionId = "io.modelcontextprotocol/subscriptionId";

}  // namespace mcpx::protocol::meta
