#include "engine/session.h"

#include <utility>

namespace mcpx::engine {

Session::Session(std::string id, std::shared_ptr<const ClientInit> init, std::int64_t now_ms)
    : id_(std::move(id)), init_(std::move(init)), created_ms_(now_ms), last_active_ms_(now_ms) {}

Session::Session(std::string id, ClientInit init, std::int64_t now_ms)
    : Session(std::move(id), std::make_shared<const ClientInit>(std::move(init)), now_ms) {}

Session::~Session() = default;

void Session::MarkReady() {
  SessionState expected = SessionState::kInitializing;
  state_.compare_exchange_strong(expected, SessionState::kReady, std::memory_order_acq_rel);
}

bool Session::MarkClosed() {
  return state_.exchange(SessionState::kClosed, std::memory_order_acq_rel) != SessionState::kClosed;
}

bool Session::Subscribe(const std::string& uri, std::size_t limit) {
  MutexLock lock(&mu_);
  if (subscriptions_.contains(uri)) return true;
  if (subscriptions_.size() >= limit) return false;
  subscriptions_.insert(uri);
  return true;
}

void Session::Unsubscribe(const std::string& uri) {
  MutexLock lock(&mu_);
  subscriptions_.erase(uri);
}

bool Session::IsSubscribed(const std::string& uri) const {
  ReaderMutexLock lock(&mu_);
  return subscriptions_.contains(uri);
}

bool Session::RegisterRequest(const std::string& id_key, std::shared_ptr<RequestState> request,
                              std::size_t limit) {
  MutexLock lock(&mu_);
  if (inflight_.size() >= limit) return false;
  return inflight_.emplace(id_key, std::move(request)).second;
}

void Session::UnregisterRequest(const std::string& id_key, const RequestState* request) {
  MutexLock lock(&mu_);
  auto it = inflight_.find(id_key);
  if (it != inflight_.end() && it->second.get() == request) inflight_.erase(it);
}

std::shared_ptr<RequestState> Session::FindRequest(const std::string& id_key) const {
  ReaderMutexLock lock(&mu_);
  auto it = inflight_.find(id_key);
  return it == inflight_.end() ? nullptr : it->second;
}

std::size_t Session::inflight() const {
  ReaderMutexLock lock(&mu_);
  return inflight_.size();
}

void Session::AddPendingClientRequest(std::int64_t id, ClientCallback callback) {
  MutexLock lock(&mu_);
  pending_client_.emplace(id, std::move(callback));
}

Session::ClientCallback Session::TakePendingClientRequest(std::int64_t id) {
  MutexLock lock(&mu_);
  auto node = pending_client_.extract(id);
  return node.empty() ? ClientCallback() : std::move(node.mapped());
}

std::vector<std::shared_ptr<RequestState>> Session::TakeAllRequests() {
  std::vector<std::shared_ptr<RequestState>> out;
  MutexLock lock(&mu_);
  out.reserve(inflight_.size());
  for (auto& [key, request] : inflight_) out.push_back(std::move(request));
  inflight_.clear();
  return out;
}

std::vector<Session::ClientCallback> Session::TakeAllPendingClientRequests() {
  std::vector<ClientCallback> out;
  MutexLock lock(&mu_);
  out.reserve(pending_client_.size());
  for (auto& [id, cb] : pending_client_) out.push_back(std::move(cb));
  pending_client_.clear();
  return out;
}

std::function<void()> Session::AdmitPoolTask(std::function<void()> task, std::size_t limit) {
  MutexLock lock(&mu_);
  if (pool_running_ < limit) {
    ++pool_running_;
    return task;
  }
  pool_queue_.push_back(std::move(task));
  return {};
}

std::function<void()> Session::NextPoolTask() {
  MutexLock lock(&mu_);
  if (pool_queue_.empty()) {
    --pool_running_;
    return {};
  }
  std::function<void()> next = std::move(pool_queue_.front());
  pool_queue_.erase(pool_queue_.begin());
  return next;
}

}  // namespace mcpx::engine
