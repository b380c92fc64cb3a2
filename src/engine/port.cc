#include "engine/port.h"

#include "engine/engine.h"
#include "engine/server_access.h"

namespace mcpx::engine {

Port::Port(Server& server)
    : engine_(ServerAccess::EngineOf(server)),
      metrics_(engine_.metrics()),
      buffer_budget_(engine_.buffer_budget()),
      id_(engine_.NewTransportId()) {}

Admission Port::Admit(const protocol::Message& message, const Envelope& envelope, const SessionSetup& setup) {
  return engine_.Admit(message, envelope, setup, id_);
}

Admission Port::Resolve(const Envelope& envelope) { return engine_.Resolve(envelope, id_); }

void Port::Deliver(const SessionPtr& session, protocol::Message message, std::shared_ptr<Channel> channel,
                   const std::shared_ptr<RequestScope>& scope, std::string_view peer, PrincipalPtr principal) {
  engine_.HandleMessage(session, std::move(message), std::move(channel), scope, peer, std::move(principal));
}

void Port::Close(const SessionPtr& session) { engine_.CloseSession(session); }

boost::asio::io_context& Port::NextIo() { return engine_.NextIo(); }
boost::asio::io_context& Port::io() { return engine_.io(); }
void Port::Post(std::function<void()> fn) { engine_.Post(std::move(fn)); }
void Port::RecordSecurity(guard::SecurityEventKind kind, std::string_view address, std::string_view detail) {
  engine_.RecordSecurity(kind, address, {}, {}, detail);
}
guard::SecurityMonitor& Port::security() const { return engine_.security(); }
Maintenance::Handle Port::AddMaintenance(Maintenance::Task task) { return engine_.maintenance().Add(std::move(task)); }
bool Port::draining() const { return engine_.draining(); }
std::int64_t Port::NowMs() const { return engine_.NowMs(); }
std::int64_t Port::WallMs() const { return engine_.WallMs(); }
std::string Port::MetricsText() const { return engine_.MetricsText(); }

}  // namespace mcpx::engine
