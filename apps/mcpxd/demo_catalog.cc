#include "demo_catalog.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>

#include "mcpx/error.h"
#include "mcpx/server.h"
#include "mcpx/typed.h"

namespace mcpx::demo {
namespace {

// The message of the day: written by set_motd, read by mcpx://motd.
class Motd {
 public:
  std::string Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }
  void Set(std::string text) {
    std::lock_guard<std::mutex> lock(mu_);
    text_ = std::move(text);
  }

 private:
  mutable std::mutex mu_;
  std::string text_ = "Hello from mcpx.";
};

struct AddArgs {
  double a;
  double b;
};
BOOST_DESCRIBE_STRUCT(AddArgs, (), (a, b))
inline FieldDocs McpxFields(const AddArgs*) {
  return {{"a", {.description = "First addend"}}, {"b", {.description = "Second addend"}}};
}

struct Sum {
  double sum;
};
BOOST_DESCRIBE_STRUCT(Sum, (), (sum))

std::string StringArg(const json::object& args, std::string_view key) {
  const auto* v = args.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

double NumberArg(const json::object& args, std::string_view key) {
  const auto* v = args.if_contains(key);
  return v ? v->to_number<double>() : 0.0;
}

// Counts down with one progress notification per step, waiting on a timer
// between steps: no thread is held while it waits.
void CountdownStep(Context ctx, int left, int total, int step_ms, Reply<ToolResult> reply) {
  if (ctx.cancelled()) return reply.Fail(ErrorCode::kRequestCancelled, "cancelled");
  ctx.Progress(total - left, total, std::to_string(left) + " to go");
  ctx.Log(LogLevel::kInfo, json::string(std::to_string(left) + " to go"), "countdown");
  if (left == 0) return reply(ToolResult::Text("liftoff after " + std::to_string(total) + " steps"));
  ctx.After(std::chrono::milliseconds(step_ms),
            [ctx, left, total, step_ms, reply] { CountdownStep(ctx, left - 1, total, step_ms, reply); });
}

}  // namespace

void Register(Server& server, bool scopes) {
  if (scopes) {
    server.AddTool({
        .name = "admin_only",
        .description = "Says who called it; only for tokens with the mcp:admin scope.",
        .execution = Execution::kInline,
        .handler = [](Context&, const json::object&) { return ToolResult::Text("admin ok"); },
        .scopes = {"mcp:admin"},
    });
  }
  server.AddTool({
      .name = "echo",
      .title = "Echo",
      .description = "Returns the given text unchanged.",
      .input_schema = json::parse(R"({"type":"object","properties":{"text":{"type":"string",
          "description":"Text to echo"}},"required":["text"]})").as_object(),
      .annotations = json::object{{"readOnlyHint", true}, {"idempotentHint", true}},
      .execution = Execution::kInline,
      .handler = [](Context&, const json::object& args) {
        return ToolResult::Text(StringArg(args, "text"));
      },
      .scopes = scopes ? std::vector<std::string>{"mcp:tools"} : std::vector<std::string>{},
  });

  // A typed tool (mcpx/typed.h): schemas, parsing and structured content
  // from AddArgs and Sum.
  server.AddTool(MakeTool<AddArgs>(
      {.name = "add",
       .title = "Add two numbers",
       .description = "Adds a and b; the sum is also returned as structured content.",
       .execution = Execution::kInline},
      [](const AddArgs& in) {
        const double sum = in.a + in.b;
        if (!std::isfinite(sum)) throw ToolError("the sum is out of range");
        return Sum{.sum = sum};
      }));

  server.AddTool({
      .name = "sleep",
      .title = "Sleep",
      .description = "Waits ms milliseconds (at most 60000) without holding a thread.",
      .input_schema = json::parse(R"({"type":"object","properties":{"ms":{"type":"integer",
          "minimum":0,"maximum":60000}},"required":["ms"]})").as_object(),
      .handler = [](Context ctx, const json::object& args, Reply<ToolResult> reply) {
        // Checked as a double: casting 1e19 to an integer would be undefined.
        const double requested = NumberArg(args, "ms");
        if (!(requested >= 0 && requested <= 60000)) return reply(ToolResult::ErrorText("ms must be 0 to 60000"));
        const auto ms = static_cast<std::int64_t>(requested);
        ctx.After(std::chrono::milliseconds(ms),
                  [reply, ms] { reply(ToolResult::Text("slept " + std::to_string(ms) + " ms")); });
      },
  });

  server.AddTool({
      .name = "countdown",
      .title = "Countdown with progress",
      .description = "Counts down from n (at most 100), one step every 100 ms, reporting progress.",
      .input_schema = json::parse(R"({"type":"object","properties":{"n":{"type":"integer",
          "minimum":0,"maximum":100}},"required":["n"]})").as_object(),
      .handler = [](Context ctx, const json::object& args, Reply<ToolResult> reply) {
        const double requested = NumberArg(args, "n");
        if (!(requested >= 0 && requested <= 100)) return reply(ToolResult::ErrorText("n must be 0 to 100"));
        const int n = static_cast<int>(requested);
        CountdownStep(ctx, n, n, 100, reply);
      },
  });

  server.AddTool({
      .name = "sessions",
      .title = "List sessions",
      .description = "Lists the server's sessions, 100 at a time (a handler calling back into the server).",
      .input_schema = json::parse(R"({"type":"object","properties":{"cursor":{"type":"string",
          "description":"nextCursor of the previous page"}}})").as_object(),
      .annotations = json::object{{"readOnlyHint", true}},
      .handler = [](Context& ctx, const json::object& args) {
        std::string_view cursor;
        if (const auto* c = args.if_contains("cursor"); c && c->is_string()) cursor = c->get_string();
        const SessionPage page = ctx.server().ListSessions(cursor);
        json::array list;
        for (const auto& s : page.sessions) {
          list.push_back(json::object{{"client", s.client_name},
                                      {"protocolVersion", s.protocol_version},
                                      {"you", s.id == ctx.session_id()},
                                      {"idleMs", s.idle.count()}});
        }
        ToolResult r = ToolResult::Text(std::to_string(list.size()) + " session(s) of " +
                                        std::to_string(ctx.server().session_count()));
        json::object out{{"sessions", std::move(list)}};
        if (!page.next_cursor.empty()) out["nextCursor"] = page.next_cursor;
        r.structured_content = std::move(out);
        return r;
      },
  });

  server.AddTool({
      .name = "ask_name",
      .title = "Ask the user's name",
      .description = "Asks the user's name through the client (elicitation) and greets them: a multi-round "
                     "request under 2026-07-28, a server-to-client request in a 2025-11-25 session.",
      .input_schema = json::object{{"type", "object"}},
      .handler = [](Context& ctx, const json::object&) {
        const json::value answer = ctx.Ask(
            "name", InputRequest::Elicit("What is your name?",
                                         json::parse(R"({"type":"object","properties":{"name":{"type":"string"}},
                                             "required":["name"]})").as_object()));
        const json::value* action = answer.is_object() ? answer.get_object().if_contains("action") : nullptr;
        if (!action || *action != "accept") return ToolResult::Text("Maybe another time.");
        const json::value* content = answer.get_object().if_contains("content");
        const json::value* name = content && content->is_object() ? content->get_object().if_contains("name") : nullptr;
        return ToolResult::Text("Hello, " + std::string(name && name->is_string() ? name->get_string() : "") + "!");
      },
      .required_capabilities = {"elicitation"},
  });

  server.AddTool({
      .name = "list_roots",
      .title = "List the client's roots",
      .description = "Asks the client for its roots (roots/list) and lists them.",
      .input_schema = json::object{{"type", "object"}},
      .handler = [](Context& ctx, const json::object&) {
        const json::value answer = ctx.Ask("roots", InputRequest::ListRoots());
        std::string text;
        const json::value* roots = answer.is_object() ? answer.get_object().if_contains("roots") : nullptr;
        if (roots && roots->is_array()) {
          for (const json::value& root : roots->get_array()) {
            const json::value* uri = root.is_object() ? root.get_object().if_contains("uri") : nullptr;
            if (uri && uri->is_string()) text += std::string(uri->get_string()) + "\n";
          }
        }
        return ToolResult::Text(text.empty() ? "No roots." : text);
      },
      .required_capabilities = {"roots"},
  });

  server.AddTool({
      .name = "ask_llm",
      .title = "Ask the client's model",
      .description = "Sends a question to the client's language model (sampling) and returns its answer.",
      .input_schema = json::parse(R"({"type":"object","properties":{"question":{"type":"string"}},
          "required":["question"]})").as_object(),
      .handler = [](Context& ctx, const json::object& args) {
        json::array messages{json::object{
            {"role", "user"}, {"content", TextContent(StringArg(args, "question"))}}};
        const json::value answer = ctx.Ask("answer", InputRequest::CreateMessage(std::move(messages), 200));
        const json::value* content = answer.is_object() ? answer.get_object().if_contains("content") : nullptr;
        const json::value* text = content && content->is_object() ? content->get_object().if_contains("text") : nullptr;
        if (!text || !text->is_string()) throw ToolError("The client's model gave no text answer.");
        return ToolResult::Text(text->get_string());
      },
      .required_capabilities = {"sampling"},
  });

  // Change notifications to try subscriptions (2025-11-25 resources/
  // subscribe, 2026-07-28 subscriptions/listen): a tool that comes and goes,
  // and a resource whose text a tool sets.
  server.AddTool({
      .name = "toggle_bonus_tool",
      .title = "Toggle the bonus tool",
      .description = "Adds the tool 'bonus' if it is absent and removes it if present (tools/list_changed).",
      .input_schema = json::object{{"type", "object"}},
      .handler = [](Context& ctx, const json::object&) {
        if (ctx.server().RemoveTool("bonus")) return ToolResult::Text("bonus removed");
        ctx.server().AddTool({.name = "bonus",
                              .description = "Exists while toggled on.",
                              .input_schema = json::object{{"type", "object"}},
                              .execution = Execution::kInline,
                              .handler = [](Context&, const json::object&) { return ToolResult::Text("bonus!"); }});
        return ToolResult::Text("bonus added");
      },
  });
  auto motd = std::make_shared<Motd>();
  server.AddResource({
      .uri = "mcpx://motd",
      .name = "motd",
      .title = "Message of the day",
      .description = "Set by the set_motd tool; subscribers hear of each change.",
      .mime_type = "text/plain",
      .read = [motd](Context&, const std::string& uri) {
        return std::vector<ResourceContents>{{.uri = uri, .mime_type = "text/plain", .text = motd->Get()}};
      },
  });
  server.AddTool({
      .name = "set_motd",
      .title = "Set the message of the day",
      .description = "Sets mcpx://motd and notifies its subscribers (resources/updated).",
      .input_schema = json::parse(R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})")
                          .as_object(),
      .handler = [motd](Context& ctx, const json::object& args) {
        motd->Set(StringArg(args, "text"));
        ctx.server().NotifyResourceUpdated("mcpx://motd");
        return ToolResult::Text("motd set");
      },
  });

  server.AddResource({
      .uri = "mcpx://about",
      .name = "about",
      .title = "About this server",
      .description = "What mcpxd is.",
      .mime_type = "text/markdown",
      .read = [](Context&, const std::string& uri) {
        return std::vector<ResourceContents>{{.uri = uri, .mime_type = "text/markdown",
            .text = std::string("# mcpxd\nThe demo server of mcpx, a concurrent C++ MCP runtime.\n")}};
      },
  });

  server.AddResource({
      .uri = "mcpx://stats",
      .name = "stats",
      .title = "Server counters",
      .description = "Prometheus counters of this server.",
      .mime_type = "text/plain",
      .read = [](Context& ctx, const std::string& uri) {
        return std::vector<ResourceContents>{
            {.uri = uri, .mime_type = "text/plain", .text = ctx.server().MetricsText()}};
      },
  });

  server.AddResourceTemplate({
      .uri_template = "mcpx://greeting/{name}",
      .name = "greeting",
      .title = "Greeting",
      .description = "A greeting for {name}.",
      .mime_type = "text/plain",
      .read = [](Context& ctx, const std::string& uri) {
        return std::vector<ResourceContents>{
            {.uri = uri, .mime_type = "text/plain", .text = "Hello, " + ctx.template_vars().at("name") + "!"}};
      },
  });

  server.AddPrompt({
      .name = "summarize",
      .title = "Summarize text",
      .description = "Asks the model to summarize a text in a given style.",
      .arguments = {{"text", "The text to summarize", true}, {"style", "brief or detailed", false}},
      .handler = [](Context&, const json::object& args) {
        std::string style = StringArg(args, "style");
        if (style.empty()) style = "brief";
        PromptResult r;
        r.description = "Summarize (" + style + ")";
        r.messages.push_back(json::object{
            {"role", "user"},
            {"content", TextContent("Give a " + style + " summary of:\n\n" + StringArg(args, "text"))}});
        return r;
      },
  });

  server.SetCompletionHandler([](Context&, const CompletionRequest& req) {
    CompletionResult r;
    if (req.argument_name == "style") {
      for (const char* s : {"brief", "detailed"}) {
        if (std::string_view(s).starts_with(req.argument_value)) r.values.emplace_back(s);
      }
    }
    return r;
  });
}

}  // namespace mcpx::demo
