#include <sys/random.h>

#include <malloc.h>

#include <algorithm>
#include <utility>

#include <boost/asio/post.hpp>

#include "engine/engine.h"
#include "mcpx/error.h"
#include "observe/log.h"
#include "protocol/version.h"

namespace mcpx::engine {
namespace {

std::string NewSessionId() {
  unsigned char bytes[16];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (std::size_t i = 0; i < sizeof bytes; ++i) {
    id[2 * i] = kHex[bytes[i] >> 4];
    id[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return id;
}


}  // namespace

// --- Sessions ------------------------------------------------------------------

SessionPtr Engine::NewSession(const json::object& params, std::string* error) {
  auto invalid = [error](std::string_view what) -> SessionPtr {
    if (error) *error = "Invalid params: " + std::string(what);
    return nullptr;
  };
  const json::value* requested = params.if_contains("protocolVersion");
  if (!requested || !requested->is_string()) return invalid("'protocolVersion' must be a string");
  ClientInit init;
  for (auto [key, out] : {std::pair{"capabilities", &init.capabilities}, std::pair{"clientInfo", &init.client_info}}) {
    const json::value* v = params.if_contains(key);
    if (!v || v->is_null()) continue;
    if (!v->is_object()) return invalid("'" + std::string(key) + "' must be an object");
    *out = v->get_object();
  }
  init.protocol_version = std::string(protocol::NegotiateVersion(requested->get_string()));
  return std::make_shared<Session>(NewSessionId(), std::move(init), NowMs());
}

bool Engine::Publish(const SessionPtr& session) {
  if (stopping() || draining()) return false;
  if (sessions_.Insert(session) != SessionDirectory::InsertResult::kInserted) {
    metrics_.sessions_rejected.Add();
    observe::Log().warn("session refused: {} sessions, the cap", sessions_.capacity());
    return false;
  }
  metrics_.sessions_created.Add();
  metrics_.CountRequest(observe::MethodId::kInitialize, observe::Outcome::kOk);
  return true;
}

json::object Engine::Capabilities(bool stateless) const {
  if (stateless) {
    // List changes and resource updates reach subscriptions/listen streams.
    return {{"tools", {{"listChanged", true}}},
            {"resources", {{"subscribe", true}, {"listChanged", true}}},
            {"prompts", {{"listChanged", true}}},
            {"logging", json::object()},
            {"completions", json::object()}};
  }
  return {{"tools", {{"listChanged", true}}},
          {"resources", {{"subscribe", true}, {"listChanged", true}}},
          {"prompts", {{"listChanged", true}}},
          {"logging", json::object()},
          {"completions", json::object()}};
}

json::object Engine::ServerInfo() const {
  json::object info{{"name", options_.name}, {"version", options_.version}};
  if (!options_.title.empty()) info["title"] = options_.title;
  return info;
}

json::object Engine::InitializeResult(const Session& session) const {
  json::object result{{"protocolVersion", session.init().protocol_version},
                      {"capabilities", Capabilities(/*stateless=*/false)},
                      {"serverInfo", ServerInfo()}};
  if (!options_.instructions.empty()) result["instructions"] = options_.instructions;
  return result;
}

SessionPtr Engine::FindSession(std::string_view id) {
  SessionPtr s = sessions_.Find(id);
  if (s && s->state() != SessionState::kClosed) {
    s->Touch(NowMs());
    return s;
  }
  return nullptr;
}

void Engine::CloseSession(const SessionPtr& session) {
  sessions_.Remove(session->id());
  Finalize(session);
}

void Engine::Finalize(const SessionPtr& session) {
  if (!session->MarkClosed()) return;
  metrics_.sessions_closed.Add();
  if (const std::shared_ptr<Subscriber> subscriber = session->subscriber()) hub_.Remove(*subscriber);
  for (auto& request : session->TakeAllRequests()) request->Cancel(/*drop_response=*/true);
  for (auto& callback : session->TakeAllPendingClientRequests()) {
    callback(ClientResponse{false, nullptr, ErrorCode::kInternalError, "session closed"});
  }
  if (SessionTransport* t = session->transport()) t->Close();
}

std::size_t Engine::SweepExpired() {
  const std::int64_t now = NowMs();
  const std::int64_t idle = options_.session_idle_timeout.count();
  const std::int64_t init = options_.init_timeout.count();
  std::vector<SessionPtr> expired = sessions_.RemoveIf([&](const Session& s) {
    if (!s.expires()) return false;
    if (s.state() == SessionState::kInitializing) return now - s.created_ms() >= init;
    return now - s.last_active_ms() >= idle;
  });
  for (const SessionPtr& s : expired) {
    metrics_.sessions_expired.Add();
    Finalize(s);
  }
  const std::size_t count = expired.size();
  expired.clear();  // the last references: the sessions are freed here
  if (count > 0) observe::Log().debug("expired {} session(s); {} remain", count, sessions_.size());
#if defined(__GLIBC__)
  // After a mass expiry, hand the freed heap back to the system; glibc keeps
  // it otherwise and RSS would stay at its peak.
  if (count >= 1024) Post([] { malloc_trim(0); });
#endif
  return count;
}

void Engine::ScheduleSweep() {
  if (stopping()) return;
  auto interval = std::min(options_.session_idle_timeout, options_.init_timeout) / 4;
  interval = std::clamp<std::chrono::milliseconds>(interval, std::chrono::milliseconds(20),
                                                   std::chrono::seconds(5));
  sweep_timer_.expires_after(interval);
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping()) return;
    SweepExpired();
    // Subscribers their own removal paths missed (a stream that ended
    // without cancelling, a session closed mid-subscribe): on a worker, as it
    // visits every topic.
    // At most once a second, and only when there is anything to sweep.
    if (hub_.subscribers() > 0 && NowMs() - last_hub_sweep_ms_ >= 1000) {
      last_hub_sweep_ms_ = NowMs();
      Post([this] {
        if (const std::size_t n = hub_.Sweep(); n > 0) observe::Log().debug("hub sweep removed {} subscriber(s)", n);
      });
    }
    ScheduleSweep();
  });
}
}  // namespace mcpx::engine
