// Handing the engine one request as a transport would, for tests that drive
// the engine without a transport.
#pragma once

#include <memory>
#include <string>

#include "engine/engine.h"
#include "support/recording_channel.h"

namespace mcpx::testing {

// Sends request `id` (`method`, `params`) from `session`; its answer, and
// whatever the request sends on its stream, go to the returned channel.
inline std::shared_ptr<RecordingChannel> SendRequest(engine::Engine& engine, const engine::SessionPtr& session,
                                                     json::value id, std::string method, json::object params = {}) {
  auto channel = std::make_shared<RecordingChannel>();
  protocol::Message m;
  m.kind = protocol::MessageKind::kRequest;
  m.id = std::move(id);
  m.method = std::move(method);
  m.params = std::move(params);
  engine.HandleMessage(session, std::move(m), channel);
  return channel;
}

}  // namespace mcpx::testing
