// One shared copy of each distinct initialize declaration (protocol version,
// clientInfo, capabilities), so that the many sessions of one kind of client
// do not each hold their own JSON trees: for a minimal client that is about
// 240 bytes of an idle session, more for clients that declare roots,
// sampling or elicitation.
//
// Bounded: at most `max_entries` distinct declarations of at most
// `max_key_bytes` serialized bytes each are tracked; beyond that a session
// simply keeps its own copy. Entries whose sessions are all gone are purged
// when the table fills.
//
// Thread safety: safe for concurrent use; one short critical section per
// initialize.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "common/mutex.h"
#include "engine/session.h"

namespace mcpx::engine {

class ClientInitInterner {
 public:
  explicit ClientInitInterner(std::size_t max_entries = 4096, std::size_t max_key_bytes = 16 * 1024)
      : max_entries_(max_entries), max_key_bytes_(max_key_bytes) {}

  // The shared copy equal to `init`, made from it if there is none.
  std::shared_ptr<const ClientInit> Intern(ClientInit init);

  // Distinct declarations tracked (for tests).
  std::size_t size() const;

 private:
  const std::size_t max_entries_;
  const std::size_t max_key_bytes_;
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, std::weak_ptr<const ClientInit>> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mcpx::engine
