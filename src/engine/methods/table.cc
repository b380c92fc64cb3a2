#include <unordered_map>

#include "engine/methods/methods.h"

namespace mcpx::engine::methods {

const MethodEntry* Find(std::string_view name) {
  using M = observe::MethodId;
  constexpr std::uint8_t kBoth = kSession | kStateless;
  static const std::unordered_map<std::string_view, MethodEntry> table = {
      {"server/discover", {M::kServerDiscover, &Discover, kStateless}},
      {"ping", {M::kPing, &Ping, kSession}},
      {"logging/setLevel", {M::kLoggingSetLevel, &SetLogLevel, kSession}},
      {"tools/list", {M::kToolsList, &ListTools, kBoth}},
      {"tools/call", {M::kToolsCall, &CallTool, kBoth}},
      {"resources/list", {M::kResourcesList, &ListResources, kBoth}},
      {"resources/templates/list", {M::kResourcesTemplatesList, &ListResourceTemplates, kBoth}},
      {"resources/read", {M::kResourcesRead, &ReadResource, kBoth}},
      {"resources/subscribe", {M::kResourcesSubscribe, &Subscribe, kSession}},
      {"resources/unsubscribe", {M::kResourcesUnsubscribe, &Unsubscribe, kSession}},
      {"prompts/list", {M::kPromptsList, &ListPrompts, kBoth}},
      {"prompts/get", {M::kPromptsGet, &GetPrompt, kBoth}},
      {"completion/complete", {M::kCompletionComplete, &Complete, kBoth}},
      {"subscriptions/listen", {M::kSubscriptionsListen, &Listen, kStateless}},
  };
  auto it = table.find(name);
  return it == table.end() ? nullptr : &it->second;
}

}  // namespace mcpx::engine::methods
