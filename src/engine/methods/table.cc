#include <unordered_map>

#include "engine/methods/methods.h"

namespace mcpx::engine::methods {

const MethodEntry* Find(std::string_view name) {
  using M = observe::MethodId;
  static const std::unordered_map<std::string_view, MethodEntry> table = {
      {"ping", {M::kPing, &Ping}},
      {"logging/setLevel", {M::kLoggingSetLevel, &SetLogLevel}},
      {"tools/list", {M::kToolsList, &ListTools}},
      {"tools/call", {M::kToolsCall, &CallTool}},
      {"resources/list", {M::kResourcesList, &ListResources}},
      {"resources/templates/list", {M::kResourcesTemplatesList, &ListResourceTemplates}},
      {"resources/read", {M::kResourcesRead, &ReadResource}},
      {"resources/subscribe", {M::kResourcesSubscribe, &Subscribe}},
      {"resources/unsubscribe", {M::kResourcesUnsubscribe, &Unsubscribe}},
      {"prompts/list", {M::kPromptsList, &ListPrompts}},
      {"prompts/get", {M::kPromptsGet, &GetPrompt}},
      {"completion/complete", {M::kCompletionComplete, &Complete}},
  };
  auto it = table.find(name);
  return it == table.end() ? nullptr : &it->second;
}

}  // namespace mcpx::engine::methods
