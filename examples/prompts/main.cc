// Prompts from a struct of strings, and completion of their arguments.
#include <string>
#include <vector>

#include "mcpx/serve.h"
#include "mcpx/typed.h"

namespace example {

struct ReviewArgs {
  std::string language;
  std::string code;
  std::optional<std::string> focus;
};
BOOST_DESCRIBE_STRUCT(ReviewArgs, (), (language, code, focus))

inline mcpx::FieldDocs McpxFields(const ReviewArgs*) {
  return {{"language", {.description = "Programming language of the code"}},
          {"code", {.description = "The code to review"}},
          {"focus", {.description = "What to look at most: correctness, speed, style"}}};
}

mcpx::PromptResult Review(const ReviewArgs& in) {
  mcpx::PromptResult out;
  out.description = "Code review request";
  const std::string focus = in.focus.value_or("correctness");
  out.messages.push_back(mcpx::json::object{
      {"role", "user"},
      {"content", mcpx::TextContent("Review this " + in.language + " code, mostly for " + focus + ":\n\n" + in.code)}});
  return out;
}

const std::vector<std::string> kLanguages = {"c", "c++", "go", "java", "python", "rust", "typescript"};

}  // namespace example

int main(int argc, char** argv) {
  mcpx::Server server({.name = "prompts-example"});
  server.AddPrompt(mcpx::MakePrompt<example::ReviewArgs>(
      {.name = "code_review", .description = "Asks for a review of some code"}, example::Review));
  server.SetCompletionHandler([](mcpx::Context&, const mcpx::CompletionRequest& request) {
    mcpx::CompletionResult result;
    if (request.argument_name == "language") {
      for (const std::string& language : example::kLanguages) {
        if (language.rfind(request.argument_value, 0) == 0) result.values.push_back(language);
      }
    } else if (request.argument_name == "focus") {
      result.values = {"correctness", "speed", "style"};
    }
    return result;
  });
  return mcpx::ServeMain(server, argc, argv);
}
