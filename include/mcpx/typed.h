// Tools and prompts declared from C++ types: the input schema, the parsing
// of arguments and (for a described result type) the output schema and
// structured content all come from one struct (mcpx/schema.h says which
// types map to what).
//
// Example:
//   struct AddArgs { double a; double b; };
//   BOOST_DESCRIBE_STRUCT(AddArgs, (), (a, b))
//
//   server.AddTool(mcpx::MakeTool<AddArgs>({.name = "add", .description = "Adds two numbers"},
//                                          [](const AddArgs& in) { return in.a + in.b; }));
//
// A handler takes (const In&) or (Context&, const In&) and returns:
//   - a described struct: structuredContent, outputSchema from its type, and
//     the same JSON as text for clients that read only content;
//   - another JSON-mappable type (a number, a vector, ...): likewise, as
//     {"result": value};
//   - a string: one text block; a ToolResult: as it is.
// It reports a failure the model should see by throwing mcpx::ToolError.
// Arguments were checked against the whole input schema before it runs; if
// they still do not fit In (a number out of an int's range), the call ends
// with a tool error result naming the field.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "mcpx/context.h"
#include "mcpx/error.h"
#include "mcpx/schema.h"
#include "mcpx/types.h"

namespace mcpx {

namespace typed_detail {

template <typename R>
inline constexpr bool kIsText = std::is_convertible_v<R, std::string_view>;

// The outputSchema for a handler returning R; none for text and ToolResult.
template <typename R>
std::optional<json::object> OutputSchema() {
  if constexpr (std::is_same_v<R, ToolResult> || kIsText<R>) {
    return std::nullopt;
  } else if constexpr (schema_detail::kIsStruct<R>) {
    return SchemaOf<R>();
  } else {
    return json::object{{"type", "object"},
                        {"properties", json::object{{"result", SchemaOf<R>()}}},
                        {"required", json::array{"result"}}};
  }
}

template <typename R>
ToolResult ToResult(R&& value) {
  using D = std::remove_cvref_t<R>;
  if constexpr (std::is_same_v<D, ToolResult>) {
    return std::forward<R>(value);
  } else if constexpr (kIsText<D>) {
    return ToolResult::Text(std::string_view(value));
  } else {
    json::value structured = mcpx::ToJson(value);
    if constexpr (!schema_detail::kIsStruct<D>) structured = json::object{{"result", std::move(structured)}};
    ToolResult result;
    result.content.push_back(TextContent(FormatJson(structured)));
    result.structured_content = std::move(structured.as_object());
    return result;
  }
}

template <typename In>
void RequireDescribed() {
  static_assert(schema_detail::kIsStruct<In>,
                "mcpx: a typed tool's or prompt's argument type must be a struct described with "
                "BOOST_DESCRIBE_STRUCT(Type, (), (member, ...)), written after the struct in its namespace");
}

// Reads the arguments into In, or throws ToolError naming the field.
template <typename In>
In Arguments(std::string_view tool, const json::object& arguments) {
  In in{};
  if (std::string error = FromJson(arguments, in); !error.empty()) {
    throw ToolError("Invalid arguments for tool " + std::string(tool) + ": " + error);
  }
  return in;
}

// Handlers run concurrently, so they are called const.
template <typename In, typename Fn>
decltype(auto) Invoke(const Fn& fn, Context& ctx, const In& in) {
  if constexpr (std::is_invocable_v<const Fn&, Context&, const In&>) {
    return fn(ctx, in);
  } else {
    static_assert(std::is_invocable_v<const Fn&, const In&>,
                  "mcpx: the handler must be callable (const, as handlers run concurrently) as fn(const In&) "
                  "or fn(mcpx::Context&, const In&)");
    return fn(in);
  }
}

}  // namespace typed_detail

// `tool` with its input schema (and output schema, unless set) made from
// the types, and a handler that parses the arguments into In and calls `fn`.
// Throws std::invalid_argument as SchemaOf does.
template <typename In, typename Fn>
Tool MakeTool(Tool tool, Fn fn) {
  typed_detail::RequireDescribed<In>();
  using R = std::remove_cvref_t<decltype(typed_detail::Invoke<In>(fn, std::declval<Context&>(),
                                                                  std::declval<const In&>()))>;
  static_assert(!std::is_void_v<R>, "mcpx::MakeTool: the handler must return its result");
  tool.input_schema = SchemaOf<In>();
  if (!tool.output_schema) tool.output_schema = typed_detail::OutputSchema<R>();
  tool.handler = ToolHandler([fn = std::move(fn), name = tool.name](Context& ctx, const json::object& arguments) {
    const In in = typed_detail::Arguments<In>(name, arguments);
    return typed_detail::ToResult(typed_detail::Invoke<In>(fn, ctx, in));
  });
  return tool;
}

// The asynchronous form: `fn(Context, In, Reply<Out>)` completes the reply
// later, from any thread; Out is mapped as a synchronous handler's result.
template <typename In, typename Out, typename Fn>
Tool MakeAsyncTool(Tool tool, Fn fn) {
  typed_detail::RequireDescribed<In>();
  static_assert(std::is_invocable_v<const Fn&, Context, In, Reply<Out>>,
                "mcpx::MakeAsyncTool<In, Out>: the handler must be callable as fn(mcpx::Context, In, "
                "mcpx::Reply<Out>)");
  tool.input_schema = SchemaOf<In>();
  if (!tool.output_schema) tool.output_schema = typed_detail::OutputSchema<Out>();
  tool.handler = AsyncToolHandler(
      [fn = std::move(fn), name = tool.name](Context ctx, const json::object& arguments, Reply<ToolResult> reply) {
        In in = typed_detail::Arguments<In>(name, arguments);
        fn(std::move(ctx), std::move(in),
           Reply<Out>([reply](Out out) { reply(typed_detail::ToResult(std::move(out))); },
                      [reply](int code, std::string message) { reply.Fail(code, std::move(message)); }));
      });
  return tool;
}

// `prompt` with its arguments made from Args, whose members are prompt
// arguments and so strings (MCP passes prompt arguments as strings):
// std::string (required) or std::optional<std::string>. `fn` takes
// (const Args&) or (Context&, const Args&) and returns a PromptResult, or a
// string: one user message with that text. A required argument missing is
// -32602, as the spec asks.
template <typename Args, typename Fn>
Prompt MakePrompt(Prompt prompt, Fn fn) {
  typed_detail::RequireDescribed<Args>();
  const auto docs = schema_detail::DocsOf<Args>(true);
  prompt.arguments.clear();
  boost::mp11::mp_for_each<schema_detail::Members<Args>>([&](auto d) {
    using M = std::remove_cvref_t<decltype(std::declval<Args&>().*d.pointer)>;
    static_assert(std::is_same_v<M, std::string> || std::is_same_v<M, std::optional<std::string>>,
                  "mcpx::MakePrompt: prompt arguments are strings in MCP: declare each member of the argument "
                  "struct std::string (required) or std::optional<std::string> (optional)");
    PromptArgument argument{.name = d.name, .required = std::is_same_v<M, std::string>};
    if (auto it = docs.find(d.name); it != docs.end()) {
      argument.description = std::string(it->second.description);
      if (it->second.required == false) argument.required = false;
    }
    prompt.arguments.push_back(std::move(argument));
  });
  prompt.handler = [fn = std::move(fn), name = prompt.name](Context& ctx, const json::object& arguments) {
    Args args{};
    if (std::string error = FromJson(arguments, args); !error.empty()) {
      throw Error(ErrorCode::kInvalidParams, "Invalid arguments for prompt " + name + ": " + error);
    }
    auto result = typed_detail::Invoke<Args>(fn, ctx, args);
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(result)>, PromptResult>) {
      return result;
    } else {
      static_assert(typed_detail::kIsText<decltype(result)>,
                    "mcpx::MakePrompt: the handler must return a PromptResult or a string");
      PromptResult out;
      out.messages.push_back(json::object{{"role", "user"}, {"content", TextContent(std::string_view(result))}});
      return out;
    }
  };
  return prompt;
}

}  // namespace mcpx
