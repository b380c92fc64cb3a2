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
  return std::make_shared<Session>(NewSessionId(), client_inits_.Intern(std::move(init)), NowMs());
}

bool Engine::Publish(const SessionPtr& session) {
  if (stopping() || draining()) return false;
  if (sessions_.Insert(session) != SessionDirectory::InsertResult::kInserted) {
    metrics_.sessions_rejected.Add();
    observe::Log().warn("session refused: {} sessions, the cap", sessions_.capacity());
    return false;
  }
  if (session->expires()) expiry_.Add(*session, NextExpiryLook(*session), NowMs());
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
  expiry_.Remove(*session);  // after MarkClosed: the wheel links no closed session
  metrics_.sessions_closed.Add();
  if (const std::shared_ptr<Subscriber> subscriber = session->subscriber()) hub_.Remove(*subscriber);
  for (auto& request : session->TakeAllRequests()) request->Cancel(/*drop_response=*/true);
  for (auto& callback : session->TakeAllPendingClientRequests()) {
    callback(ClientResponse{false, nullptr, ErrorCode::kInternalError, "session closed"});
  }
  if (SessionTransport* t = session->transport()) t->Close();
}

std::int64_t Engine::ExpiryDeadline(const Session& s) const {
  if (s.state() == SessionState::kInitializing) return s.created_ms() + options_.init_timeout.count();
  return s.last_active_ms() + options_.session_idle_timeout.count();
}

std::int64_t Engine::NextExpiryLook(const Session& s) const {
  const std::int64_t deadline = ExpiryDeadline(s);
  if (s.state() != SessionState::kInitializing) return deadline;
  return std::min(deadline, s.last_active_ms() + options_.session_idle_timeout.count());
}

std::chrono::milliseconds Engine::SweepInterval(const ServerOptions& options) {
  const auto interval = std::min(options.session_idle_timeout, options.init_timeout) / 4;
  return std::clamp<std::chrono::milliseconds>(interval, std::chrono::milliseconds(20), std::chrono::seconds(5));
}

bool Engine::SweepStep(std::int64_t now, std::size_t budget, std::size_t* expired_count) {
  const auto expired = [this, now](const Session& s) { return ExpiryDeadline(s) <= now; };
  // When a live session is looked at again: never in a slot already passed.
  const auto next_look = [this, now](const Session& s) { return std::max(NextExpiryLook(s), now + 1); };
  const auto start = std::chrono::steady_clock::now();
  const ExpiryWheel::Progress progress = expiry_.Advance(
      now,
      [&](const Session& s) {
        const std::int64_t deadline = ExpiryDeadline(s);
        return deadline <= now ? deadline : next_look(s);
      },
      [&](const std::string& id) {
        // Checked again under the directory's lock: a request may have
        // touched it since the wheel looked.
        if (SessionPtr s = sessions_.RemoveIf(id, expired)) {
          ++*expired_count;
          metrics_.sessions_expired.Add();
          Finalize(s);
        } else if (SessionPtr live = sessions_.Find(id)) {
          expiry_.Add(*live, next_look(*live), now);
        }
      },
      budget, /*slice=*/budget);
  metrics_.expiry_looked.Add(progress.looked);
  if (progress.looked > 0) {
    metrics_.NoteExpiryStep(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count());
  }
  return progress.done;
}

void Engine::AfterSweep(std::size_t expired) {
  if (expired == 0) return;
  observe::Log().debug("expired {} session(s); {} remain", expired, sessions_.size());
  // Shrinking a shard rebuilds it, and handing the freed heap back after a
  // mass expiry walks the heap: both on a worker, neither is a deadline,
  // and only when there is anything to do.
  const bool trim = expired >= 1024;  // glibc keeps freed heap otherwise: RSS would stay at its peak
  if (!trim && !sessions_.Compactable()) return;
  Post([this, trim] {
    sessions_.Compact();
#if defined(__GLIBC__)
    if (trim) malloc_trim(0);
#endif
  });
}

std::size_t Engine::SweepExpired() {
  const std::int64_t now = NowMs();
  std::size_t expired = 0;
  while (!SweepStep(now, kSweepSlice, &expired)) {
  }
  sessions_.Compact();
  if (expired > 0) observe::Log().debug("expired {} session(s); {} remain", expired, sessions_.size());
  return expired;
}

void Engine::ScheduleSweep() {
  if (stopping()) return;
  sweep_timer_.expires_after(SweepInterval(options_));
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping()) return;
    ContinueSweep(NowMs(), 0);
  });
}

void Engine::ContinueSweep(std::int64_t now, std::size_t expired) {
  if (stopping()) return;
  // On the I/O thread that runs the timers (expiry must happen when every
  // worker is busy), one bounded slice at a time: the rest of the sweep is
  // posted behind whatever I/O is waiting.
  if (!SweepStep(now, kSweepSlice, &expired)) {
    boost::asio::post(io(), [this, now, expired] { ContinueSweep(now, expired); });
    return;
  }
  AfterSweep(expired);
  // Subscribers their own removal paths missed (a stream that ended without
  // cancelling, a session closed mid-subscribe), and listen streams idle past
  // their timeout: these visit every topic and every listen stream, so on a
  // worker, at most once a second and only when there are any.
  if ((hub_.subscribers() > 0 || metrics_.listen_streams.value() > 0) && now - last_hub_sweep_ms_ >= 1000) {
    last_hub_sweep_ms_ = now;
    Post([this] {
      if (const std::size_t n = hub_.Sweep(); n > 0) observe::Log().debug("hub sweep removed {} subscriber(s)", n);
      if (const std::size_t n = EndIdleListens(); n > 0) observe::Log().debug("ended {} idle listen stream(s)", n);
    });
  }
  if (now - last_maintenance_ms_ >= kMaintenancePeriodMs) {
    last_maintenance_ms_ = now;
    Post([this, now] {
      maintenance_.RunAll(now);
      security_.Sweep(now * 1000);
      SweepPrincipalRates(now);
    });
  }
  ScheduleSweep();
}

// --- Per-principal limits of stateless requests ---------------------------

namespace {

// The principal table has no coarser key: a principal that does not fit
// goes to the overflow cells.
std::string NoCoarseKey() { return {}; }

}  // namespace

Engine::Over Engine::TakePrincipalLimits(const Principal& who, const protocol::Message& message,
                                         std::int64_t now_ns, std::int64_t* wait_ns) {
  // The cells are touched only inside the table's callback: a sweep may drop
  // them once it returns.
  Over over = Over::kNone;
  principal_rates_.ApplyOrAggregate(
      who.key, NoCoarseKey, [now_ns](const PrincipalCells& cells) { return cells.Full(now_ns); },
      [&](PrincipalCells& cells, guard::KeyLevel) {
        over = TakeClientLimits(cells.requests, cells.bytes, message, now_ns, wait_ns);
      });
  return over;
}

void Engine::ChargePrincipalBytes(const Principal& principal, std::size_t bytes) {
  if (!session_byte_rate_.enabled()) return;
  const std::int64_t now_ns = NowMs() * 1'000'000;
  principal_rates_.ApplyOrAggregate(
      principal.key, NoCoarseKey, [now_ns](const PrincipalCells& cells) { return cells.Full(now_ns); },
      [&](PrincipalCells& cells, guard::KeyLevel) {
        cells.bytes.Charge(now_ns, session_byte_rate_, static_cast<double>(bytes));
      });
}

std::size_t Engine::SweepPrincipalRates(std::int64_t now_ms) {
  const std::int64_t now_ns = now_ms * 1'000'000;
  return principal_rates_.Sweep([now_ns](const PrincipalCells& cells) { return cells.Full(now_ns); });
}

}  // namespace mcpx::engine
