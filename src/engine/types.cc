// Serialisation of the public value types to their MCP wire form.
#include <array>

#include "mcpx/types.h"

namespace mcpx {
namespace {

void PutIf(json::object& out, std::string_view key, const std::string& value) {
  if (!value.empty()) out[key] = value;
}

constexpr std::array<std::string_view, 8> kLevelNames = {
    "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"};

}  // namespace

json::object TextContent(std::string_view text) { return {{"type", "text"}, {"text", text}}; }

json::object ImageContent(std::string_view base64_data, std::string_view mime_type) {
  return {{"type", "image"}, {"data", base64_data}, {"mimeType", mime_type}};
}

json::object AudioContent(std::string_view base64_data, std::string_view mime_type) {
  return {{"type", "audio"}, {"data", base64_data}, {"mimeType", mime_type}};
}

json::object EmbeddedTextResource(std::string_view uri, std::string_view mime_type,
                                  std::string_view text) {
  return {{"type", "resource"},
          {"resource", {{"uri", uri}, {"mimeType", mime_type}, {"text", text}}}};
}

ToolResult ToolResult::Text(std::string_view text) {
  ToolResult r;
  r.content.push_back(TextContent(text));
  return r;
}

ToolResult ToolResult::ErrorText(std::string_view text) {
  ToolResult r = Text(text);
  r.is_error = true;
  return r;
}

json::object ToolResult::ToJson() const {
  json::object out;
  out["content"] = content;
  if (structured_content) out["structuredContent"] = *structured_content;
  if (is_error) out["isError"] = true;
  return out;
}

json::object Tool::ToJson() const {
  json::object out;
  out["name"] = name;
  PutIf(out, "title", title);
  PutIf(out, "description", description);
  out["inputSchema"] = input_schema;
  if (output_schema) out["outputSchema"] = *output_schema;
  if (annotations) out["annotations"] = *annotations;
  if (meta) out["_meta"] = *meta;
  return out;
}

json::object ResourceContents::ToJson() const {
  json::object out;
  out["uri"] = uri;
  PutIf(out, "mimeType", mime_type);
  if (text) out["text"] = *text;
  if (blob) out["blob"] = *blob;
  return out;
}

json::object Resource::ToJson() const {
  json::object out;
  out["uri"] = uri;
  out["name"] = name;
  PutIf(out, "title", title);
  PutIf(out, "description", description);
  PutIf(out, "mimeType", mime_type);
  if (size) out["size"] = *size;
  return out;
}

json::object ResourceTemplate::ToJson() const {
  json::object out;
  out["uriTemplate"] = uri_template;
  out["name"] = name;
  PutIf(out, "title", title);
  PutIf(out, "description", description);
  PutIf(out, "mimeType", mime_type);
  return out;
}

json::object PromptResult::ToJson() const {
  json::object out;
  PutIf(out, "description", description);
  out["messages"] = messages;
  return out;
}

json::object Prompt::ToJson() const {
  json::object out;
  out["name"] = name;
  PutIf(out, "title", title);
  PutIf(out, "description", description);
  if (!arguments.empty()) {
    json::array args;
    for (const auto& a : arguments) {
      json::object arg{{"name", a.name}};
      PutIf(arg, "description", a.description);
      arg["required"] = a.required;
      args.push_back(std::move(arg));
    }
    out["arguments"] = std::move(args);
  }
  return out;
}

std::string_view LogLevelName(LogLevel level) { return kLevelNames[static_cast<std::size_t>(level)]; }

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  for (std::size_t i = 0; i < kLevelNames.size(); ++i) {
    if (kLevelNames[i] == name) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

}  // namespace mcpx
