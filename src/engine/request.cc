#include "engine/request.h"

#include <chrono>
#include <utility>

#include "engine/engine.h"
#include "engine/inflight.h"
#include "protocol/jsonrpc.h"
#include "protocol/meta.h"

namespace mcpx::engine {
namespace {

json::value ProgressToken(const json::object& meta) {
  if (const auto* token = meta.if_contains("progressToken")) {
    if (token->is_string() || token->is_int64() || token->is_uint64()) return *token;
  }
  return nullptr;
}

std::string MetaString(const json::object& meta, std::string_view key) {
  const json::value* v = meta.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

const json::object& MetaObject(const json::object& meta, std::string_view key) {
  static const json::object empty;
  const json::value* v = meta.if_contains(key);
  return v && v->is_object() ? v->get_object() : empty;
}

}  // namespace

const std::string& RequestState::protocol_version() const {
  return session_ ? session_->init().protocol_version : version_;
}

const json::object& RequestState::client_capabilities() const {
  return session_ ? session_->init().capabilities : MetaObject(meta_, protocol::meta::kClientCapabilities);
}

const json::object& RequestState::client_info() const {
  return session_ ? session_->init().client_info : MetaObject(meta_, protocol::meta::kClientInfo);
}

std::optional<LogLevel> RequestState::log_level() const {
  if (session_) return session_->log_level();
  if (!stateless_) return std::nullopt;
  const json::value* v = meta_.if_contains(protocol::meta::kLogLevel);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return ParseLogLevel(v->get_string());
}

RequestState::RequestState(Engine* engine, SessionPtr session, json::value id, std::string method,
                           json::object meta, std::shared_ptr<Channel> channel, bool stateless)
    : engine_(engine),
      session_(std::move(session)),
      id_(std::move(id)),
      id_key_(protocol::IdKey(id_)),
      method_(std::move(method)),
      meta_(std::move(meta)),
      stateless_(stateless),
      version_(stateless ? MetaString(meta_, protocol::meta::kProtocolVersion) : std::string()),
      progress_token_(ProgressToken(meta_)),
      channel_(std::move(channel)),
      started_us_(std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count()) {}

std::uint64_t RequestState::ElapsedUs() const {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  return now > started_us_ ? static_cast<std::uint64_t>(now - started_us_) : 0;
}

void RequestState::Cancel(bool drop_response) {
  std::vector<std::function<void()>> callbacks;
  {
    MutexLock lock(&mu_);
    if (cancelled_.exchange(true, std::memory_order_acq_rel)) return;
    callbacks.swap(on_cancel_);
  }
  for (auto& fn : callbacks) fn();
  if (drop_response && !done_.exchange(true, std::memory_order_acq_rel)) {
    if (channel_) channel_->Finish();
    Done();
  }
}

RequestState::~RequestState() {
  if (inflight_ != nullptr) inflight_->Remove(*this);
}

void RequestState::Done() {
  // Once (done_ guards the callers): the destructor then has nothing to unlink.
  if (inflight_ != nullptr) inflight_->Remove(*this);
  inflight_ = nullptr;
  if (on_done_) on_done_();
}

void RequestState::OnCancel(std::function<void()> fn) {
  {
    MutexLock lock(&mu_);
    if (!cancelled_.load(std::memory_order_acquire)) {
      on_cancel_.push_back(std::move(fn));
      return;
    }
  }
  fn();
}

void RequestState::ChargeBytesOut(std::size_t bytes) {
  if (!engine_->session_byte_rate().enabled()) return;
  if (session_) {
    session_->byte_rate().Charge(engine_->NowMs() * 1'000'000, engine_->session_byte_rate(), static_cast<double>(bytes));
  } else if (stateless_ && principal_) {
    // A stateless request's bytes are its principal's (admission.cc).
    engine_->ChargePrincipalBytes(*principal_, bytes);
  }
}

void RequestState::SendRelated(std::string message) {
  if (done() || !channel_) return;
  ChargeBytesOut(message.size());
  channel_->Send(std::move(message), /*final=*/false);
}

bool RequestState::Finish(std::string response) {
  if (done_.exchange(true, std::memory_order_acq_rel)) return false;
  ChargeBytesOut(response.size());
  if (channel_) channel_->Send(std::move(response), /*final=*/true);
  Done();
  return true;
}

bool RequestState::CompleteWithResult(const json::value& result, std::string_view extra_members) {
  if (done()) return false;
  return Finish(protocol::SerializeResult(id_, result, extra_members));
}

bool RequestState::CompleteWithResultText(std::string_view result, std::string_view extra_members) {
  if (done()) return false;
  return Finish(protocol::SerializeResultText(id_, result, extra_members));
}

bool RequestState::CompleteWithError(int code, std::string_view message, const json::value& data) {
  if (done()) return false;
  return Finish(protocol::SerializeError(id_, code, message, data));
}

}  // namespace mcpx::engine
