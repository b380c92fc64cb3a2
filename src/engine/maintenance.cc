#include "engine/maintenance.h"

#include <utility>

namespace mcpx::engine {

Maintenance::Handle& Maintenance::Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    Reset();
    owner_ = std::exchange(other.owner_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

void Maintenance::Handle::Reset() {
  if (owner_ != nullptr) std::exchange(owner_, nullptr)->Remove(id_);
}

Maintenance::Handle Maintenance::Add(Task task) {
  MutexLock lock(&mu_);
  const std::uint64_t id = ++next_id_;
  tasks_.emplace(id, std::move(task));
  return Handle(this, id);
}

void Maintenance::Remove(std::uint64_t id) {
  MutexLock lock(&mu_);
  tasks_.erase(id);
}

void Maintenance::RunAll(std::int64_t now_ms) {
  MutexLock lock(&mu_);
  for (auto& [id, task] : tasks_) task(now_ms);
}

std::size_t Maintenance::size() const {
  MutexLock lock(&mu_);
  return tasks_.size();
}

}  // namespace mcpx::engine
