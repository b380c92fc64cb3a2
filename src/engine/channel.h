// How messages leave the engine. The engine never includes a transport: each
// transport implements Channel (one destination: a POST's response stream, the
// session's standalone GET stream, or stdout) and hands it in.
#pragma once

#include <functional>
#include <string>

namespace mcpx::engine {

// One destination for server-to-client messages.
//
// Thread safety: Send and Finish may be called from any thread, concurrently.
// They must never block: implementations queue (bounded) and write elsewhere.
class Channel {
 public:
  virtual ~Channel() = default;
  // Queues one serialized JSON-RPC message. `final` marks the response that
  // completes the request this channel was opened for.
  virtual void Send(std::string message, bool final) = 0;
  // Ends a request channel without a response (the request was cancelled).
  virtual void Finish() = 0;
  // Ends the connection carrying this channel now but keeps the stream: later
  // messages are stored for the client to fetch by reconnecting with
  // Last-Event-ID (SSE polling). Transports without resumable streams ignore it.
  virtual void Disconnect() {}
  // Runs `fn` once if the client abandons the channel's stream before it
  // ends (2026-07-28: closing a request's stream cancels the request). At
  // most one; transports without such streams never run it.
  virtual void OnAbandoned(std::function<void()> fn) { (void)fn; }
};

// Per-session state a transport keeps (streams, event store). Closed when the
// session ends.
class SessionTransport {
 public:
  virtual ~SessionTransport() = default;
  virtual void Close() = 0;
};

}  // namespace mcpx::engine
