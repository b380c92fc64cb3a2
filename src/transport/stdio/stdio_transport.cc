#include "mcpx/stdio_transport.h"

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "engine/port.h"
#include "mcpx/error.h"
#include "mcpx/server.h"
#include "observe/log.h"
#include "protocol/jsonrpc.h"

namespace mcpx {
namespace {

// Writes whole lines to a file descriptor from its own thread, so that no
// engine thread ever blocks on a slow reader of our stdout.
//
// Thread safety: Send/Finish are safe from any thread; `mu_` guards the queue
// and is never held while writing.
class LineWriter : public engine::Channel {
 public:
  LineWriter(int fd, std::size_t max_queued, std::size_t max_queued_bytes)
      : fd_(fd), max_queued_(max_queued), max_queued_bytes_(max_queued_bytes) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~LineWriter() override { Shutdown(); }

  void Send(std::string message, bool) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      // A reader of stdout that stopped reading: past either bound the
      // message is dropped (stdio has no connection to cut), and said once.
      if (queue_.size() >= max_queued_ || queued_bytes_ + message.size() > max_queued_bytes_) {
        if (!dropping_) observe::Log().warn("stdout reader is not keeping up: dropping messages");
        dropping_ = true;
        return;
      }
      dropping_ = false;
      message.push_back('\n');
      queued_bytes_ += message.size();
      queue_.push_back(std::move(message));
    }
    cv_.notify_one();
  }
  void Finish() override {}

  // Flushes what is queued, then stops the thread.
  void Shutdown() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      closed_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return closed_ || !queue_.empty(); });
      if (queue_.empty() && closed_) return;
      std::deque<std::string> batch;
      batch.swap(queue_);
      queued_bytes_ = 0;  // the batch is no longer queued (it is being written)
      lock.unlock();
      for (const std::string& line : batch) WriteAll(line);
      lock.lock();
    }
  }

  void WriteAll(const std::string& line) {
    std::size_t off = 0;
    while (off < line.size()) {
      const ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // reader gone: drop
      off += static_cast<std::size_t>(n);
    }
  }

  const int fd_;
  const std::size_t max_queued_;
  const std::size_t max_queued_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  bool dropping_ = false;
  bool closed_ = false;
  std::thread thread_;
};

}  // namespace

class StdioTransport::Impl {
 public:
  Impl(Server& server, StdioOptions options)
      : port_(server),
        options_(options),
        writer_(std::make_shared<LineWriter>(options.output_fd, options.max_queued_messages,
                                             options.max_queued_bytes)),
        setup_([writer = writer_](engine::Session& session) {
          session.set_standalone(writer);
          session.set_expires(false);
          session.set_worker_share(SIZE_MAX);  // the only session: nobody to starve
        }) {}

  void Run() {
    std::string pending;
    char buf[65536];
    bool discarding = false;  // inside an over-long line
    for (;;) {
      const ssize_t n = ::read(options_.input_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      std::string_view chunk(buf, static_cast<std::size_t>(n));
      while (!chunk.empty()) {
        const auto nl = chunk.find('\n');
        const std::string_view part = chunk.substr(0, nl);
        if (!discarding) pending.append(part);
        if (pending.size() > options_.max_line_bytes) {
          pending.clear();
          discarding = true;
        }
        if (nl == std::string_view::npos) break;
        chunk.remove_prefix(nl + 1);
        if (discarding) {
          writer_->Send(protocol::SerializeError(nullptr, ErrorCode::kParseError, "Message too large"), true);
          discarding = false;
        } else if (!pending.empty() && pending != "\r") {
          Handle(pending);
        }
        pending.clear();
      }
    }
    if (session_) port_.Close(session_);
    writer_->Shutdown();
  }

 private:
  void Handle(std::string_view line) {
    protocol::ParseOutcome parsed = protocol::Parse(line);
    if (parsed.failure) {
      writer_->Send(protocol::SerializeError(parsed.failure->id, parsed.failure->code,
                                             parsed.failure->message),
                    true);
      return;
    }
    protocol::Message& message = *parsed.message;
    // The connection is the session: messages name the one its initialize
    // opened, and before that none (served sessionless, as ping may be).
    engine::Admission admission = port_.Admit(
        message, {.session_id = session_ ? std::string_view(session_->id()) : std::string_view(), .session_optional = true},
        setup_);
    if (!admission.admitted()) {
      if (message.is_request()) {
        writer_->Send(protocol::SerializeError(message.id, admission.code, admission.message, admission.data), true);
      }
      // A session that ended (closed through Server::CloseSession) stays
      // ended: later messages are refused like this one.
      return;
    }
    if (!admission.initialized.empty()) {
      session_ = std::move(admission.session);
      writer_->Send(std::move(admission.initialized), true);
      return;
    }
    port_.Deliver(admission.session, std::move(message), writer_, scope_);
  }

  engine::Port port_;
  const StdioOptions options_;
  std::shared_ptr<LineWriter> writer_;
  const engine::SessionSetup setup_;
  // Stateless requests in flight, for notifications/cancelled.
  const std::shared_ptr<engine::RequestScope> scope_ = std::make_shared<engine::RequestScope>();
  engine::SessionPtr session_;
};

StdioTransport::StdioTransport(Server& server, StdioOptions options)
    : impl_(std::make_unique<Impl>(server, options)) {}

StdioTransport::~StdioTransport() = default;

void StdioTransport::Run() { impl_->Run(); }

}  // namespace mcpx
