// Server-Sent-Event streams of one session: each POST answered with SSE and the
// standalone GET stream is an SseStream; every event is kept in the session's
// bounded EventStore so a client may resume with Last-Event-ID.
//
// Event ids are "<stream>-<seq>": unique within the session and naming the
// stream they belong to, so a resumption replays only that stream.
//
// A session's store and streams are made on first use (an idle session has
// none): see HttpSessionState.
//
// Thread safety: all classes are safe for concurrent use. Lock order:
// PostExchange::mu_ before HttpSessionState::Streams::mu_ before
// SseStream::mu_ before EventStore::mu_. None is held while writing to a
// socket: sinks only enqueue, and the connection's strand writes.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "common/byte_budget.h"
#include "common/mutex.h"
#include "engine/channel.h"

namespace mcpx::observe {
struct Metrics;
}

namespace mcpx::transport::http {

using Frame = std::shared_ptr<const std::string>;

// Where a stream's frames go while a connection is attached.
class SseSink {
 public:
  virtual ~SseSink() = default;
  // Non-blocking; false when the sink can take no more (slow or closed).
  virtual bool Push(Frame frame) = 0;
  // The stream is complete: finish the HTTP response.
  virtual void End() = 0;
};

struct EventStoreLimits {
  std::size_t max_events = 512;
  std::size_t max_bytes = 1 << 20;
};

// A bounded log of recent events of one session, oldest evicted first. Its
// bytes are charged to `budget` (shared by all sessions' stores) when there
// is one; when the budget refuses, the store evicts its own oldest events to
// make room, and an event that still does not fit, or that alone exceeds
// max_bytes, is not kept (it was sent; only a resumption would miss it).
class EventStore {
 public:
  // The budget is shared: stores may outlive the transport that made them.
  explicit EventStore(EventStoreLimits limits, observe::Metrics* metrics = nullptr,
                      std::shared_ptr<ByteBudget> budget = nullptr)
      : limits_(limits), metrics_(metrics), budget_(std::move(budget)) {}
  ~EventStore();
  // False when the event was not kept.
  bool Append(std::uint64_t stream, std::uint64_t seq, Frame frame);
  // Frames of `stream` with seq > after, in order.
  std::vector<Frame> After(std::uint64_t stream, std::uint64_t after) const;
  std::size_t size() const;
  std::size_t bytes() const;

 private:
  struct Event {
    std::uint64_t stream;
    std::uint64_t seq;
    Frame frame;
  };
  void EvictOldest() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const EventStoreLimits limits_;
  observe::Metrics* const metrics_;
  const std::shared_ptr<ByteBudget> budget_;
  mutable Mutex mu_;
  // A ring over `events_` starting at `head_`; empty (no allocation) until the
  // first event, which keeps idle sessions small.
  std::vector<Event> events_ ABSL_GUARDED_BY(mu_);
  std::size_t head_ ABSL_GUARDED_BY(mu_) = 0;
  std::size_t count_ ABSL_GUARDED_BY(mu_) = 0;
  std::size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

class SseStream : public engine::Channel {
 public:
  // A stream that is not `resumable` (2026-07-28 has no Last-Event-ID) sends
  // no event ids and no priming event; its store only holds what is sent
  // before a connection attaches.
  SseStream(std::uint64_t id, std::shared_ptr<EventStore> store, observe::Metrics* metrics, bool resumable = true)
      : id_(id), store_(std::move(store)), metrics_(metrics), resumable_(resumable) {}

  std::uint64_t id() const { return id_; }
  bool resumable() const { return resumable_; }

  // engine::Channel: records the event and hands it to the attached sink.
  void Send(std::string message, bool final) override;
  void Finish() override;
  // Ends the connection carrying the stream, keeping the stream (DetachSink).
  void Disconnect() override { DetachSink(); }

  // Attaches `sink`, first replaying stored events with seq > `after` (or,
  // without `after`, those never handed to any sink). Returns the cursor it
  // replayed from (the id for the priming event), or nullopt if another sink
  // is attached.
  std::optional<std::uint64_t> Attach(std::shared_ptr<SseSink> sink,
                                      std::optional<std::uint64_t> after);
  void Detach(const SseSink* sink);
  // Ends the attached sink's response (session closing).
  void Close();
  // Ends the attached sink's response but not the stream: later events wait in
  // the store for a resumption. Applies to the next sink if none is attached.
  void DetachSink();
  bool finished() const;
  // A stream that is not resumable: `fn` runs once if the connection carrying
  // it closes before the stream ended (Abandon), which cancels its request.
  void set_on_abandoned(std::function<void()> fn);
  void Abandon();

  // "<stream>-<seq>" parsing; nullopt for anything else.
  static std::optional<std::pair<std::uint64_t, std::uint64_t>> ParseEventId(std::string_view id);
  // The frame that opens a stream: an id at `cursor` and empty data, plus the
  // retry hint.
  std::string PrimingFrame(std::uint64_t cursor, int retry_ms) const;

 private:
  void Deliver(const Frame& frame) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::uint64_t id_;
  const std::shared_ptr<EventStore> store_;
  observe::Metrics* const metrics_;
  const bool resumable_;
  mutable Mutex mu_;  // taken before EventStore::mu_
  std::uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  std::uint64_t delivered_ ABSL_GUARDED_BY(mu_) = 0;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool detach_pending_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<SseSink> sink_ ABSL_GUARDED_BY(mu_);
  std::function<void()> on_abandoned_ ABSL_GUARDED_BY(mu_);
};

// What every session's event store is made of: one per transport, shared by
// its sessions (which may outlive it: hence shared).
struct EventStoreConfig {
  EventStoreLimits limits;
  observe::Metrics* metrics = nullptr;
  std::shared_ptr<ByteBudget> budget;
};

// The HTTP transport's per-session state: event store and streams, and the
// session's standalone channel (the engine's standalone() is this object).
//
// Nothing is made until used: an idle session holds only this object (a
// config pointer and one atomic word). The store, the standalone stream and
// the list of POST streams (Streams) are made by the first GET, POST answered
// with SSE or message sent to the standalone channel; the standalone stream
// alone by the first GET or standalone message. What happens to the
// standalone channel before it exists (Close, Finish, Disconnect) is kept in
// flags and applied when it is made, so its behaviour is the eager one's:
// messages sent before the first GET are stored and replayed to it, and a
// message sent after the session closed is neither sent nor kept.
//
// Thread safety: safe for concurrent use. The word is a Streams pointer whose
// low bits hold the flags until Streams exists; both change by CAS, so a flag
// set before Streams is made is either seen by its maker or finds Streams.
class HttpSessionState final : public engine::SessionTransport, public engine::Channel {
 public:
  explicit HttpSessionState(std::shared_ptr<const EventStoreConfig> config);
  HttpSessionState(EventStoreLimits limits, observe::Metrics* metrics,
                   std::shared_ptr<ByteBudget> store_budget = nullptr);
  ~HttpSessionState() override;
  HttpSessionState(const HttpSessionState&) = delete;
  HttpSessionState& operator=(const HttpSessionState&) = delete;

  // The standalone stream (for a GET), made on first call.
  std::shared_ptr<SseStream> standalone();
  // A new stream for a POST that is answered with SSE.
  std::shared_ptr<SseStream> NewStream();
  // Id 0 is the standalone stream (made if need be); others are recent POST
  // streams, or null.
  std::shared_ptr<SseStream> FindStream(std::uint64_t id);
  void Close() override;

  // engine::Channel, for the standalone stream: forwards to it, making it
  // (and the store) on the first message.
  void Send(std::string message, bool final) override;
  void Finish() override;
  void Disconnect() override;

  // Observables (tests): whether the store (with Streams) / the standalone
  // stream has been made.
  bool has_store() const;
  bool has_standalone() const;

 private:
  class Streams;
  static constexpr std::uintptr_t kClosed = 1;  // Close()
  static constexpr std::uintptr_t kEnded = 2;   // Finish(): the standalone stream ended
  static constexpr std::uintptr_t kDetach = 4;  // Disconnect() with no stream yet
  static constexpr std::uintptr_t kFlags = kClosed | kEnded | kDetach;
  static Streams* PtrOf(std::uintptr_t word) { return reinterpret_cast<Streams*>(word & ~kFlags); }

  // Streams, made and installed if it is not there yet.
  Streams* Ensure();
  // Streams if it exists; else sets `flag` and returns null.
  Streams* StreamsOrFlag(std::uintptr_t flag);

  const std::shared_ptr<const EventStoreConfig> config_;
  std::atomic<std::uintptr_t> word_{0};
};

}  // namespace mcpx::transport::http
