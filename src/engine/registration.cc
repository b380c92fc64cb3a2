#include "engine/registration.h"

#include <set>
#include <stdexcept>
#include <string>
#include <variant>

#include "engine/uri_template.h"

namespace mcpx::engine {
namespace {

[[noreturn]] void Refuse(std::string_view kind, std::string_view name, std::string_view problem) {
  throw std::invalid_argument(std::string(kind) + " '" + std::string(name) + "': " + std::string(problem));
}

bool IsToolNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.';
}

void CheckObjectSchema(const Tool& tool, const json::object& schema, std::string_view which) {
  const json::value* type = schema.if_contains("type");
  if (!type || !type->is_string() || type->get_string() != "object") {
    Refuse("tool", tool.name, std::string(which) + " must have \"type\": \"object\"");
  }
}

}  // namespace

void CheckTool(const Tool& tool) {
  if (tool.name.empty() || tool.name.size() > 128) {
    Refuse("tool", tool.name, "a tool name has 1 to 128 characters");
  }
  for (char c : tool.name) {
    if (!IsToolNameChar(c)) {
      Refuse("tool", tool.name, "a tool name may hold only letters, digits, '_', '-' and '.'");
    }
  }
  const bool has_handler =
      std::visit([](const auto& handler) { return static_cast<bool>(handler); }, tool.handler);
  if (!has_handler) Refuse("tool", tool.name, "it has no handler");
  CheckObjectSchema(tool, tool.input_schema, "its inputSchema");
  if (tool.output_schema) CheckObjectSchema(tool, *tool.output_schema, "its outputSchema");
}

void CheckResource(const Resource& resource) {
  if (resource.uri.empty()) Refuse("resource", resource.name, "it has no URI");
  if (resource.name.empty()) Refuse("resource", resource.uri, "it has no name");
  if (!resource.read) Refuse("resource", resource.uri, "it has no reader");
}

void CheckResourceTemplate(const ResourceTemplate& resource_template) {
  const std::string& tpl = resource_template.uri_template;
  if (std::string problem = CheckUriTemplate(tpl); !problem.empty()) Refuse("resource template", tpl, problem);
  if (resource_template.name.empty()) Refuse("resource template", tpl, "it has no name");
  if (!resource_template.read) Refuse("resource template", tpl, "it has no reader");
}

void CheckPrompt(const Prompt& prompt) {
  if (prompt.name.empty()) Refuse("prompt", prompt.name, "it has no name");
  if (!prompt.handler) Refuse("prompt", prompt.name, "it has no handler");
  std::set<std::string_view> names;
  for (const PromptArgument& argument : prompt.arguments) {
    if (argument.name.empty()) Refuse("prompt", prompt.name, "an argument has no name");
    if (!names.insert(argument.name).second) {
      Refuse("prompt", prompt.name, "the argument '" + argument.name + "' is declared twice");
    }
  }
}

}  // namespace mcpx::engine
