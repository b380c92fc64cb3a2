// Resources and templates: a fixed resource, a template with a simple
// variable ({title}) and one with a path ({+path}, which spans '/'), and a
// tool that changes a note and tells the clients subscribed to it.
#include <map>
#include <mutex>
#include <string>

#include "mcpx/serve.h"
#include "mcpx/typed.h"

namespace example {

// The notes, shared by every handler (which run concurrently).
class Notes {
 public:
  std::optional<std::string> Get(const std::string& title) const {
    std::lock_guard lock(mu_);
    auto it = notes_.find(title);
    if (it == notes_.end()) return std::nullopt;
    return it->second;
  }
  void Put(const std::string& title, std::string text) {
    std::lock_guard lock(mu_);
    notes_[title] = std::move(text);
  }
  std::string Index() const {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& [title, text] : notes_) out += "notes://" + title + "\n";
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> notes_{{"welcome", "Hello from mcpx."}};
};

struct WriteNote {
  std::string title;
  std::string text;
};
BOOST_DESCRIBE_STRUCT(WriteNote, (), (title, text))

std::vector<mcpx::ResourceContents> Text(const std::string& uri, std::string text) {
  return {{.uri = uri, .mime_type = "text/plain", .text = std::move(text)}};
}

}  // namespace example

int main(int argc, char** argv) {
  auto notes = std::make_shared<example::Notes>();
  mcpx::Server server({.name = "resources-example"});
  server.AddResource({.uri = "notes://index",
                      .name = "index",
                      .description = "Every note's URI",
                      .mime_type = "text/plain",
                      .read = [notes](mcpx::Context&, const std::string& uri) {
                        return example::Text(uri, notes->Index());
                      }});
  server.AddResourceTemplate({.uri_template = "notes://{title}",
                              .name = "note",
                              .description = "One note by title",
                              .mime_type = "text/plain",
                              .read = [notes](mcpx::Context& ctx, const std::string& uri) {
                                const std::string& title = ctx.template_vars().at("title");
                                auto text = notes->Get(title);
                                if (!text) throw mcpx::Error(mcpx::ErrorCode::kResourceNotFound, "No note " + title);
                                return example::Text(uri, *text);
                              }});
  server.AddResourceTemplate({.uri_template = "files://{+path}",
                              .name = "file",
                              .description = "A pretend file tree: the path may hold '/'",
                              .mime_type = "text/plain",
                              .read = [](mcpx::Context& ctx, const std::string& uri) {
                                return example::Text(uri, "contents of " + ctx.template_vars().at("path"));
                              }});
  server.AddTool(mcpx::MakeTool<example::WriteNote>(
      {.name = "write_note", .description = "Writes a note; subscribers of notes://<title> hear of it"},
      [notes](mcpx::Context& ctx, const example::WriteNote& in) {
        notes->Put(in.title, in.text);
        ctx.server().NotifyResourceUpdated("notes://" + in.title);
        ctx.server().NotifyResourceUpdated("notes://index");
        return "Saved notes://" + in.title;
      }));
  return mcpx::ServeMain(server, argc, argv);
}
