#include "engine/client_init_interner.h"

#include <utility>

namespace mcpx::engine {

std::shared_ptr<const ClientInit> ClientInitInterner::Intern(ClientInit init) {
  // The key: the three parts serialized; objects keep the client's member
  // order, so the same client declaring the same things gets the same key.
  std::string key = init.protocol_version;
  key.push_back('\n');
  key.append(json::serialize(init.client_info)).push_back('\n');
  key.append(json::serialize(init.capabilities));
  if (key.size() > max_key_bytes_) return std::make_shared<const ClientInit>(std::move(init));

  MutexLock lock(&mu_);
  if (auto it = entries_.find(key); it != entries_.end()) {
    if (auto shared = it->second.lock()) return shared;
    auto made = std::make_shared<const ClientInit>(std::move(init));
    it->second = made;
    return made;
  }
  if (entries_.size() >= max_entries_) {
    absl::erase_if(entries_, [](const auto& entry) { return entry.second.expired(); });
    if (entries_.size() >= max_entries_) return std::make_shared<const ClientInit>(std::move(init));
  }
  auto made = std::make_shared<const ClientInit>(std::move(init));
  entries_.emplace(std::move(key), made);
  return made;
}

std::size_t ClientInitInterner::size() const {
  MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace mcpx::engine
