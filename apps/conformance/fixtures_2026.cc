// The fixtures only the 2026-07-28 scenarios call: diagnostic tools of the
// stateless scenario, the multi-round-trip (input_required) tools and prompt,
// and a tool with a header-mirrored parameter. Written once with Context::Ask,
// they also work for 2025-11-25 sessions (as server-to-client requests).
#include <string>
#include <utility>
#include <vector>

#include "fixtures.h"
#include "mcpx/server.h"

namespace mcpx::conformance {
namespace {

json::object NameSchema() {
  return {{"type", "object"},
          {"properties", {{"name", {{"type", "string"}, {"description", "Your name"}}}}},
          {"required", json::array{"name"}}};
}

json::object UserText(std::string_view text) { return {{"role", "user"}, {"content", TextContent(text)}}; }

InputRequest AskName() { return InputRequest::Elicit("What is your name?", NameSchema()); }

InputRequest AskCapital() {
  return InputRequest::CreateMessage(
      json::array{json::object{{"role", "user"},
                               {"content", {{"type", "text"}, {"text", "What is the capital of France?"}}}}},
      100);
}

InputRequest AskConfirm() {
  return InputRequest::Elicit("Please confirm", {{"type", "object"},
                                                 {"properties", {{"ok", {{"type", "boolean"}}}}},
                                                 {"required", json::array{"ok"}}});
}

// The accepted elicitation's content field, or "".
std::string Field(const json::value& answer, std::string_view key) {
  const json::value* content = answer.is_object() ? answer.get_object().if_contains("content") : nullptr;
  const json::value* v = content && content->is_object() ? content->get_object().if_contains(key) : nullptr;
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

Tool Asking(std::string name, std::string description, ToolHandler handler) {
  Tool t;
  t.name = std::move(name);
  t.description = std::move(description);
  t.handler = std::move(handler);
  return t;
}

void RegisterDiagnostics(Server& server) {
  Tool missing = Asking("test_missing_capability", "Needs the client's sampling capability",
                        [](Context&, const json::object&) { return ToolResult::Text("sampling is available"); });
  missing.required_capabilities = {"sampling"};
  server.AddTool(std::move(missing));

  server.AddTool(Asking("test_streaming_elicitation", "Asks for a name in the middle of the call",
                        [](Context& ctx, const json::object&) {
                          return ToolResult::Text("Hello, " + Field(ctx.Ask("user_name", AskName()), "name") + "!");
                        }));

  Tool logging = Asking("test_logging_tool", "Logs at every level, as far as the request allows",
                        [](Context& ctx, const json::object&) {
                          ctx.Log(LogLevel::kDebug, "debug message", "test_logging_tool");
                          ctx.Log(LogLevel::kInfo, "info message", "test_logging_tool");
                          ctx.Log(LogLevel::kWarning, "warning message", "test_logging_tool");
                          return ToolResult::Text("logged");
                        });
  logging.execution = Execution::kInline;
  server.AddTool(std::move(logging));

  server.AddTool(Asking("test_trigger_tool_change", "Adds or removes a tool, so that tools/list changes",
                        [](Context& ctx, const json::object&) {
                          if (!ctx.server().RemoveTool("test_triggered_tool")) {
                            ctx.server().AddTool(Asking("test_triggered_tool", "Added by test_trigger_tool_change",
                                                        [](Context&, const json::object&) {
                                                          return ToolResult::Text("triggered");
                                                        }));
                          }
                          return ToolResult::Text("tools changed");
                        }));
  server.AddTool(Asking("test_trigger_prompt_change", "Adds or removes a prompt, so that prompts/list changes",
                        [](Context& ctx, const json::object&) {
                          if (!ctx.server().RemovePrompt("test_triggered_prompt")) {
                            ctx.server().AddPrompt({.name = "test_triggered_prompt",
                                                    .description = "Added by test_trigger_prompt_change",
                                                    .handler = [](Context&, const json::object&) {
                                                      PromptResult r;
                                                      r.messages.push_back(UserText("triggered"));
                                                      return r;
                                                    }});
                          }
                          return ToolResult::Text("prompts changed");
                        }));

  Tool header;
  header.name = "test_custom_header_tool";
  header.description = "Mirrors its region argument into the Mcp-Param-Region header";
  header.input_schema = {{"type", "object"},
                         {"properties", {{"region", {{"type", "string"}, {"x-mcp-header", "Region"}}}}},
                         {"required", json::array{"region"}}};
  header.execution = Execution::kInline;
  header.handler = [](Context&, const json::object& args) {
    return ToolResult::Text("region: " + json::serialize(args.contains("region") ? args.at("region") : nullptr));
  };
  server.AddTool(std::move(header));
}

void RegisterMultiRound(Server& server) {
  server.AddTool(Asking("test_input_required_result_elicitation", "Asks the user's name (elicitation)",
                        [](Context& ctx, const json::object&) {
                          return ToolResult::Text("Hello, " + Field(ctx.Ask("user_name", AskName()), "name") + "!");
                        }));
  server.AddTool(Asking("test_input_required_result_sampling", "Asks the client's model a question (sampling)",
                        [](Context& ctx, const json::object&) {
                          return ToolResult::Text("The model said: " +
                                                  json::serialize(ctx.Ask("capital_question", AskCapital())));
                        }));
  server.AddTool(Asking("test_input_required_result_list_roots", "Asks for the client's roots",
                        [](Context& ctx, const json::object&) {
                          return ToolResult::Text("Roots: " +
                                                  json::serialize(ctx.Ask("client_roots", InputRequest::ListRoots())));
                        }));
  server.AddTool(Asking("test_input_required_result_request_state", "Asks for a confirmation, carrying state",
                        [](Context& ctx, const json::object&) {
                          ctx.Ask("confirm", AskConfirm());
                          return ToolResult::Text("state-ok");
                        }));
  server.AddTool(Asking("test_input_required_result_multiple_inputs", "Asks three questions in one round",
                        [](Context& ctx, const json::object&) {
                          std::vector<std::pair<std::string, InputRequest>> questions;
                          questions.emplace_back("user_name", AskName());
                          questions.emplace_back("capital_question", AskCapital());
                          questions.emplace_back("client_roots", InputRequest::ListRoots());
                          const json::object answers = ctx.Ask(std::move(questions));
                          return ToolResult::Text("Hello, " + Field(answers.at("user_name"), "name") +
                                                  "; all three answered");
                        }));
  server.AddTool(Asking("test_input_required_result_multi_round", "Asks two questions, one round each",
                        [](Context& ctx, const json::object&) {
                          const std::string first = Field(ctx.Ask("step1", AskName()), "name");
                          ctx.Ask("step2", AskConfirm());
                          return ToolResult::Text("Both steps done for " + first);
                        }));
  server.AddTool(Asking("test_input_required_result_tampered_state", "Refuses a tampered requestState",
                        [](Context& ctx, const json::object&) {
                          ctx.Ask("confirm", AskConfirm());
                          return ToolResult::Text("state verified");
                        }));
  server.AddTool(Asking("test_input_required_result_capabilities", "Asks only what the client can answer",
                        [](Context& ctx, const json::object&) {
                          const json::object& caps = ctx.client_capabilities();
                          if (caps.contains("elicitation")) ctx.Ask("user_name", AskName());
                          else if (caps.contains("sampling")) ctx.Ask("capital_question", AskCapital());
                          else if (caps.contains("roots")) ctx.Ask("client_roots", InputRequest::ListRoots());
                          return ToolResult::Text("asked what the client supports");
                        }));
  server.AddPrompt({.name = "test_input_required_result_prompt",
                    .description = "Asks for context before building the prompt",
                    .handler = [](Context& ctx, const json::object&) {
                      const json::value answer = ctx.Ask(
                          "user_context",
                          InputRequest::Elicit("What should the prompt be about?",
                                               {{"type", "object"},
                                                {"properties", {{"context", {{"type", "string"}}}}},
                                                {"required", json::array{"context"}}}));
                      PromptResult r;
                      r.messages.push_back(UserText("Write about: " + Field(answer, "context")));
                      return r;
                    }});
}

}  // namespace

void RegisterStateless(Server& server) {
  RegisterDiagnostics(server);
  RegisterMultiRound(server);
}

}  // namespace mcpx::conformance
