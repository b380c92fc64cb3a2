#include "fixtures.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "mcpx/error.h"
#include "mcpx/server.h"

namespace mcpx::conformance {
namespace {

using namespace std::chrono_literals;

// A 1x1 PNG and a 5 ms silent 8 kHz WAV, generated for these fixtures.
constexpr std::string_view kPng =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mNgaPgPAAIDAYAanCY7AAAAAElFTkSuQmCC";
constexpr std::string_view kWav =
    "UklGRnQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YVAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";

json::object Schema(std::string_view text) { return json::parse(text).as_object(); }

std::string Str(const json::object& args, std::string_view key) {
  const auto* v = args.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

Tool Simple(std::string name, std::string description, std::function<ToolResult()> make) {
  Tool t;
  t.name = std::move(name);
  t.description = std::move(description);
  t.execution = Execution::kInline;
  t.handler = [make = std::move(make)](Context&, const json::object&) { return make(); };
  return t;
}

// Runs `steps` one after another, `gap` apart, then replies with `done`.
void Steps(Context ctx, std::shared_ptr<std::vector<std::function<void(Context&)>>> steps, std::size_t i,
           std::chrono::milliseconds gap, Reply<ToolResult> reply, std::string done) {
  if (i == steps->size()) return reply(ToolResult::Text(done));
  (*steps)[i](ctx);
  ctx.After(gap, [ctx, steps, i, gap, reply, done]() mutable {
    Steps(ctx, steps, i + 1, gap, reply, done);
  });
}

ToolResult AskClient(Context& ctx, std::string_view method, json::object params, std::string_view prefix) {
  ClientResponse r = ctx.RequestClientSync(std::string(method), std::move(params));
  if (!r.ok) return ToolResult::ErrorText(std::string(method) + " failed: " + r.error_message);
  return ToolResult::Text(std::string(prefix) + json::serialize(r.result));
}

void RegisterTools(Server& server) {
  server.AddTool(Simple("test_simple_text", "Tests simple text content response",
                        [] { return ToolResult::Text("This is a simple text response for testing."); }));
  server.AddTool(Simple("test_image_content", "Tests image content response", [] {
    ToolResult r;
    r.content.push_back(ImageContent(kPng, "image/png"));
    return r;
  }));
  server.AddTool(Simple("test_audio_content", "Tests audio content response", [] {
    ToolResult r;
    r.content.push_back(AudioContent(kWav, "audio/wav"));
    return r;
  }));
  server.AddTool(Simple("test_embedded_resource", "Tests embedded resource content response", [] {
    ToolResult r;
    r.content.push_back(EmbeddedTextResource("test://embedded-resource", "text/plain",
                                             "This is an embedded resource content."));
    return r;
  }));
  server.AddTool(Simple("test_multiple_content_types", "Tests response with multiple content types", [] {
    ToolResult r;
    r.content.push_back(TextContent("Multiple content types test:"));
    r.content.push_back(ImageContent(kPng, "image/png"));
    r.content.push_back(EmbeddedTextResource("test://mixed-content-resource", "application/json",
                                             R"json({"test":"data","value":123})json"));
    return r;
  }));
  server.AddTool(Simple("test_error_handling", "Tests error response handling", [] {
    return ToolResult::ErrorText("This tool intentionally returns an error for testing");
  }));

  Tool logging;
  logging.name = "test_tool_with_logging";
  logging.description = "Tests tool that emits log messages during execution";
  logging.handler = [](Context ctx, const json::object&, Reply<ToolResult> reply) {
    auto steps = std::make_shared<std::vector<std::function<void(Context&)>>>();
    for (const char* text : {"Tool execution started", "Tool processing data", "Tool execution completed"}) {
      steps->push_back([text](Context& c) { c.Log(LogLevel::kInfo, text, "test_tool_with_logging"); });
    }
    Steps(ctx, steps, 0, 50ms, reply, "Tool with logging executed successfully");
  };
  server.AddTool(std::move(logging));

  Tool progress;
  progress.name = "test_tool_with_progress";
  progress.description = "Tests tool that reports progress notifications";
  progress.handler = [](Context ctx, const json::object&, Reply<ToolResult> reply) {
    auto steps = std::make_shared<std::vector<std::function<void(Context&)>>>();
    for (int p : {0, 50, 100}) {
      steps->push_back([p](Context& c) { c.Progress(p, 100, "Completed step " + std::to_string(p)); });
    }
    Steps(ctx, steps, 0, 50ms, reply, "Tool with progress executed successfully");
  };
  server.AddTool(std::move(progress));

  Tool sampling;
  sampling.name = "test_sampling";
  sampling.description = "Tests server-initiated sampling (LLM completion request)";
  sampling.input_schema = Schema(R"json({"type":"object","properties":{"prompt":{"type":"string",
      "description":"The prompt to send to the LLM"}},"required":["prompt"]})json");
  sampling.handler = [](Context& ctx, const json::object& args) {
    json::object params{
        {"messages", json::array{json::object{{"role", "user"}, {"content", TextContent(Str(args, "prompt"))}}}},
        {"maxTokens", 100}};
    ClientResponse r = ctx.RequestClientSync("sampling/createMessage", std::move(params));
    if (!r.ok) return ToolResult::ErrorText("sampling failed: " + r.error_message);
    std::string text;
    if (const auto* content = r.result.as_object().if_contains("content"); content && content->is_object()) {
      text = Str(content->get_object(), "text");
    }
    return ToolResult::Text("LLM response: " + text);
  };
  server.AddTool(std::move(sampling));

  Tool elicitation;
  elicitation.name = "test_elicitation";
  elicitation.description = "Tests server-initiated elicitation (user input request)";
  elicitation.input_schema = Schema(R"json({"type":"object","properties":{"message":{"type":"string",
      "description":"The message to show the user"}},"required":["message"]})json");
  elicitation.handler = [](Context& ctx, const json::object& args) {
    json::object params{
        {"message", Str(args, "message")},
        {"requestedSchema", Schema(R"json({"type":"object","properties":{
            "username":{"type":"string","description":"User's response"},
            "email":{"type":"string","description":"User's email address"}},
            "required":["username","email"]})json")}};
    return AskClient(ctx, "elicitation/create", std::move(params), "User response: ");
  };
  server.AddTool(std::move(elicitation));

  Tool defaults;
  defaults.name = "test_elicitation_sep1034_defaults";
  defaults.description = "Tests elicitation with default values for all primitive types (SEP-1034)";
  defaults.handler = [](Context& ctx, const json::object&) {
    json::object params{
        {"message", "Please review and update the form fields with defaults"},
        {"requestedSchema", Schema(R"json({"type":"object","properties":{
            "name":{"type":"string","description":"User name","default":"John Doe"},
            "age":{"type":"integer","description":"User age","default":30},
            "score":{"type":"number","description":"User score","default":95.5},
            "status":{"type":"string","description":"User status","enum":["active","inactive","pending"],"default":"active"},
            "verified":{"type":"boolean","description":"Verification status","default":true}},
            "required":[]})json")}};
    return AskClient(ctx, "elicitation/create", std::move(params), "Elicitation completed: ");
  };
  server.AddTool(std::move(defaults));

  Tool enums;
  enums.name = "test_elicitation_sep1330_enums";
  enums.description = "Tests elicitation with enum schema improvements (SEP-1330)";
  enums.handler = [](Context& ctx, const json::object&) {
    json::object params{
        {"message", "Please select options from the enum fields"},
        {"requestedSchema", Schema(R"json({"type":"object","properties":{
            "untitledSingle":{"type":"string","description":"Select one option","enum":["option1","option2","option3"]},
            "titledSingle":{"type":"string","description":"Select one option with titles","oneOf":[
                {"const":"value1","title":"First Option"},{"const":"value2","title":"Second Option"},
                {"const":"value3","title":"Third Option"}]},
            "legacyEnum":{"type":"string","description":"Select one option (legacy)","enum":["opt1","opt2","opt3"],
                "enumNames":["Option One","Option Two","Option Three"]},
            "untitledMulti":{"type":"array","description":"Select multiple options","minItems":1,"maxItems":3,
                "items":{"type":"string","enum":["option1","option2","option3"]}},
            "titledMulti":{"type":"array","description":"Select multiple options with titles","minItems":1,"maxItems":3,
                "items":{"anyOf":[{"const":"value1","title":"First Choice"},{"const":"value2","title":"Second Choice"},
                                  {"const":"value3","title":"Third Choice"}]}}},
            "required":[]})json")}};
    return AskClient(ctx, "elicitation/create", std::move(params), "Elicitation completed: ");
  };
  server.AddTool(std::move(enums));

  // SSE polling (SEP-1699): the response stream is closed mid-call; the client
  // reconnects with Last-Event-ID and receives the result there.
  Tool reconnection;
  reconnection.name = "test_reconnection";
  reconnection.description = "Closes the SSE stream mid-call to test client reconnection";
  reconnection.handler = [](Context ctx, const json::object&, Reply<ToolResult> reply) {
    ctx.CloseStream();
    ctx.After(100ms, [reply] { reply(ToolResult::Text("Reconnection test completed")); });
  };
  server.AddTool(std::move(reconnection));

  Tool schema2020;
  schema2020.name = "json_schema_2020_12_tool";
  schema2020.description = "Tool with JSON Schema 2020-12 features";
  schema2020.input_schema = Schema(R"json({"$schema":"https://json-schema.org/draft/2020-12/schema",
      "type":"object","$defs":{"address":{"$anchor":"address","type":"object","properties":{
      "street":{"type":"string"},"city":{"type":"string"}}}},"properties":{"name":{"type":"string"},
      "address":{"$ref":"#/$defs/address"},"contact":{"type":"string"},"kind":{"type":"string"}},
      "allOf":[{"anyOf":[{"required":["name"]},{"required":["contact"]},{"not":{"required":["kind"]}}]}],
      "if":{"properties":{"kind":{"const":"business"}}},"then":{"required":["address"]},"else":{},
      "additionalProperties":false})json");
  schema2020.execution = Execution::kInline;
  schema2020.handler = [](Context&, const json::object& args) {
    return ToolResult::Text("Received: " + json::serialize(args));
  };
  server.AddTool(std::move(schema2020));
}

void RegisterResources(Server& server) {
  server.AddResource({.uri = "test://static-text",
                      .name = "Static Text Resource",
                      .description = "A static text resource for testing",
                      .mime_type = "text/plain",
                      .read = [](Context&, const std::string& uri) {
                        return std::vector<ResourceContents>{
                            {.uri = uri, .mime_type = "text/plain",
                             .text = std::string("This is the content of the static text resource.")}};
                      }});
  server.AddResource({.uri = "test://static-binary",
                      .name = "Static Binary Resource",
                      .description = "A static binary resource (image) for testing",
                      .mime_type = "image/png",
                      .read = [](Context&, const std::string& uri) {
                        return std::vector<ResourceContents>{
                            {.uri = uri, .mime_type = "image/png", .blob = std::string(kPng)}};
                      }});
  server.AddResourceTemplate({.uri_template = "test://template/{id}/data",
                              .name = "Resource Template",
                              .description = "A resource template with parameter substitution",
                              .mime_type = "application/json",
                              .read = [](Context& ctx, const std::string& uri) {
                                const std::string id = ctx.template_vars().at("id");
                                json::object body{{"id", id}, {"templateTest", true}, {"data", "Data for ID: " + id}};
                                return std::vector<ResourceContents>{
                                    {.uri = uri, .mime_type = "application/json", .text = json::serialize(body)}};
                              }});
  server.AddResource({.uri = "test://watched-resource",
                      .name = "Watched Resource",
                      .description = "A resource that auto-updates every 3 seconds",
                      .mime_type = "text/plain",
                      .read = [](Context&, const std::string& uri) {
                        return std::vector<ResourceContents>{
                            {.uri = uri, .mime_type = "text/plain", .text = std::string("Watched resource content")}};
                      }});
}

json::object UserText(std::string_view text) { return {{"role", "user"}, {"content", TextContent(text)}}; }

void RegisterPrompts(Server& server) {
  server.AddPrompt({.name = "test_simple_prompt",
                    .description = "A simple prompt without arguments",
                    .handler = [](Context&, const json::object&) {
                      PromptResult r;
                      r.messages.push_back(UserText("This is a simple prompt for testing."));
                      return r;
                    }});
  server.AddPrompt({.name = "test_prompt_with_arguments",
                    .description = "A prompt with required arguments",
                    .arguments = {{"arg1", "First test argument", true}, {"arg2", "Second test argument", true}},
                    .handler = [](Context&, const json::object& args) {
                      PromptResult r;
                      r.messages.push_back(UserText("Prompt with arguments: arg1='" + Str(args, "arg1") +
                                                    "', arg2='" + Str(args, "arg2") + "'"));
                      return r;
                    }});
  server.AddPrompt({.name = "test_prompt_with_embedded_resource",
                    .description = "A prompt that includes an embedded resource",
                    .arguments = {{"resourceUri", "URI of the resource to embed", true}},
                    .handler = [](Context&, const json::object& args) {
                      PromptResult r;
                      r.messages.push_back(json::object{
                          {"role", "user"},
                          {"content", EmbeddedTextResource(Str(args, "resourceUri"), "text/plain",
                                                           "Embedded resource content for testing.")}});
                      r.messages.push_back(UserText("Please process the embedded resource above."));
                      return r;
                    }});
  server.AddPrompt({.name = "test_prompt_with_image",
                    .description = "A prompt that includes image content",
                    .handler = [](Context&, const json::object&) {
                      PromptResult r;
                      r.messages.push_back(json::object{{"role", "user"}, {"content", ImageContent(kPng, "image/png")}});
                      r.messages.push_back(UserText("Please analyze the image above."));
                      return r;
                    }});
  server.SetCompletionHandler([](Context&, const CompletionRequest& req) {
    CompletionResult r;
    static const std::vector<std::string> kCandidates = {"paris", "park", "party", "python", "test", "testing"};
    for (const auto& c : kCandidates) {
      if (c.starts_with(req.argument_value)) r.values.push_back(c);
    }
    r.total = static_cast<std::int64_t>(r.values.size());
    return r;
  });
}

void WatchLoop(Server& server) {
  server.NotifyResourceUpdated("test://watched-resource");
  server.After(3s, [&server] { WatchLoop(server); });
}

}  // namespace

void Register(Server& server) {
  RegisterTools(server);
  RegisterResources(server);
  RegisterPrompts(server);
  RegisterStateless(server);
}

void StartAutomaticBehaviours(Server& server) {
  server.After(2s, [&server] {
    server.AddTool(Simple("test_dynamic_tool", "A tool added at runtime",
                          [] { return ToolResult::Text("This is a dynamically added tool"); }));
    server.AddResource({.uri = "test://dynamic-resource",
                        .name = "Dynamic Resource",
                        .description = "A resource added at runtime",
                        .mime_type = "text/plain",
                        .read = [](Context&, const std::string& uri) {
                          return std::vector<ResourceContents>{
                              {.uri = uri, .mime_type = "text/plain", .text = std::string("Dynamic resource content")}};
                        }});
    server.AddPrompt({.name = "test_dynamic_prompt",
                      .description = "A prompt added at runtime",
                      .handler = [](Context&, const json::object&) {
                        PromptResult r;
                        r.messages.push_back(UserText("This is a dynamically added prompt."));
                        return r;
                      }});
  });
  server.After(3s, [&server] { WatchLoop(server); });
}

}  // namespace mcpx::conformance
