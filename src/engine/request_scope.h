// The stateless (2026-07-28) requests in flight on one connection that has no
// session (stdio), so that notifications/cancelled can name them: over HTTP
// a stateless request is cancelled by closing its stream instead.
//
// Thread safety: safe for concurrent use.
#pragma once

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "common/mutex.h"

namespace mcpx::engine {

class RequestState;

class RequestScope {
 public:
  void Add(const std::string& id_key, const std::shared_ptr<RequestState>& request) {
    MutexLock lock(&mu_);
    requests_[id_key] = request;
  }
  void Remove(const std::string& id_key, const RequestState* request) {
    MutexLock lock(&mu_);
    auto it = requests_.find(id_key);
    if (it != requests_.end() && it->second.lock().get() == request) requests_.erase(it);
  }
  std::shared_ptr<RequestState> Find(const std::string& id_key) const {
    MutexLock lock(&mu_);
    auto it = requests_.find(id_key);
    return it == requests_.end() ? nullptr : it->second.lock();
  }

 private:
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, std::weak_ptr<RequestState>> requests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mcpx::engine
