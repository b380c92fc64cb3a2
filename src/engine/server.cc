#include "mcpx/server.h"

#include "engine/engine.h"
#include "engine/methods/methods.h"
#include "engine/registration.h"
#include "mcpx/error.h"

namespace mcpx {

Server::Server(ServerOptions options)
    : engine_(std::make_unique<engine::Engine>(*this, std::move(options))) {}

Server::~Server() = default;

void Server::AddTool(Tool tool) {
  engine::CheckTool(tool);
  auto shared = std::make_shared<const engine::ToolEntry>(std::move(tool), engine_->options().tool_breaker);
  if (shared->call_rate.enabled()) engine_->catalog().NoteToolRate();
  if (shared->breaker) {
    shared->breaker->set_on_transition([engine = engine_.get(), name = shared->name](
                                           guard::BreakerState, guard::BreakerState to, std::int64_t) {
      if (to == guard::BreakerState::kOpen) {
        engine->RecordSecurity(guard::SecurityEventKind::kBreakerOpened, {}, {}, {}, name);
      } else if (to == guard::BreakerState::kClosed) {
        engine->RecordSecurity(guard::SecurityEventKind::kBreakerClosed, {}, {}, {}, name);
      }
    });
  }
  engine_->catalog().Update([&](engine::CatalogSnapshot& c) {
    c.tools[shared->name] = shared;
    engine_->catalog().NoteScopes(c, engine::ListPageCache::kTools, !shared->scopes.empty());
    return true;
  });
  engine_->NotifyAll("notifications/tools/list_changed", {});
}

bool Server::RemoveTool(std::string_view name) {
  const bool removed = engine_->catalog().Update([&](engine::CatalogSnapshot& c) {
    auto it = c.tools.find(name);
    if (it == c.tools.end()) return false;
    c.tools.erase(it);
    return true;
  });
  if (removed) engine_->NotifyAll("notifications/tools/list_changed", {});
  return removed;
}

void Server::AddResource(Resource resource) {
  engine::CheckResource(resource);
  auto shared = std::make_shared<const Resource>(std::move(resource));
  engine_->catalog().Update([&](engine::CatalogSnapshot& c) {
    c.resources[shared->uri] = shared;
    engine_->catalog().NoteScopes(c, engine::ListPageCache::kResources, !shared->scopes.empty());
    return true;
  });
  engine_->NotifyAll("notifications/resources/list_changed", {});
}

bool Server::RemoveResource(std::string_view uri) {
  const bool removed = engine_->catalog().Update([&](engine::CatalogSnapshot& c) {
    auto it = c.resources.find(uri);
    if (it == c.resources.end()) return false;
    c.resources.erase(it);
    return true;
  });
  if (removed) engine_->NotifyAll("notifications/resources/list_changed", {});
  return removed;
}

void Server::AddResourceTemplate(ResourceTemplate resource_template) {
  engine::CheckResourceTemplate(resource_template);
  auto shared = std::make_shared<const ResourceTemplate>(std::move(resource_template));
  engine_->catalog().Update([&](engine::CatalogSnapshot& c) {
    std::erase_if(c.templates, [&](const auto& t) { return t->uri_template == shared->uri_template; });
    c.templates.push_back(shared);
    engine_->catalog().NoteScopes(c, engine::ListPageCache::kTemplates, !shared->scopes.empty());
    return true;
  });
  engine_->NotifyAll("notifications/resources/list_changed", {});
}

void Server::AddPrompt(Prompt prompt) {
  engine::CheckPrompt(prompt);
  auto shared = std::make_shared<const Prompt>(std::move(prompt));
  engine_->catalog().Update([&](engine::CatalogSnapshot& c) {
    c.prompts[shared->name] = shared;
    engine_->catalog().NoteScopes(c, engine::ListPageCache::kPrompts, !shared->scopes.empty());
    return true;
  });
  engine_->NotifyAll("notifications/prompts/list_changed", {});
}

bool Server::RemovePrompt(std::string_view name) {
  const bool removed = engine_->catalog().Update([&](engine::CatalogSnapshot& c) {
    auto it = c.prompts.find(name);
    if (it == c.prompts.end()) return false;
    c.prompts.erase(it);
    return true;
  });
  if (removed) engine_->NotifyAll("notifications/prompts/list_changed", {});
  return removed;
}

void Server::SetCompletionHandler(CompletionHandler handler) {
  auto shared = std::make_shared<const CompletionHandler>(std::move(handler));
  engine_->catalog().Update([&](engine::CatalogSnapshot& c) {
    c.completion = shared;
    return true;
  });
}

void Server::Start() { engine_->Start(); }
void Server::Stop() { engine_->Stop(); }
void Server::Shutdown(std::chrono::milliseconds drain) {
  engine_->Drain(drain);
  engine_->Stop();
}
void Server::Wait() { engine_->Wait(); }
void Server::Run() {
  Start();
  Wait();
}

std::size_t Server::session_count() const { return engine_->sessions().size(); }

SessionPage Server::ListSessions(std::string_view cursor, std::size_t limit) const {
  SessionPage page;
  const std::int64_t now = engine_->NowMs();
  for (const auto& s : engine_->sessions().Page(cursor, limit, &page.next_cursor)) {
    SessionInfo info;
    info.id = s->id();
    if (const auto* name = s->init().client_info.if_contains("name"); name && name->is_string()) {
      info.client_name = std::string(name->get_string());
    }
    info.protocol_version = s->init().protocol_version;
    info.initialized = s->state() == engine::SessionState::kReady;
    info.idle = std::chrono::milliseconds(now - s->last_active_ms());
    page.sessions.push_back(std::move(info));
  }
  return page;
}

bool Server::Notify(std::string_view session_id, std::string_view method, json::object params) {
  return engine_->NotifySession(engine_->sessions().Find(session_id), method, params);
}

bool Server::CloseSession(std::string_view session_id) {
  auto session = engine_->sessions().Find(session_id);
  if (!session) return false;
  engine_->CloseSession(session);
  return true;
}

void Server::NotifyResourceUpdated(std::string_view uri) { engine_->NotifyResourceUpdated(uri); }

ToolResult Server::CallTool(Context& parent, std::string_view name, json::object arguments) {
  return engine::methods::CallToolInline(*engine_, *parent.state_, name, std::move(arguments));
}

void Server::After(std::chrono::milliseconds delay, std::function<void()> fn) {
  engine_->After(delay, std::move(fn));
}

std::string Server::MetricsText() const { return engine_->MetricsText(); }

const ServerOptions& Server::options() const { return engine_->options(); }

}  // namespace mcpx
