// Seals small payloads that travel through an untrusted party and come back
// (2026-07-28 requestState): HMAC-SHA256 over the payload under a key ring.
// The first key seals; every key opens, so keys rotate without refusing
// tokens sealed just before. A token names its key by id (the first four
// bytes of the key's SHA-256), and its audience (configuration, shared by
// every node that should accept it) is inside the MAC.
//
//   token = "v1." kid "." base64url(payload) "." base64url(mac)
//   mac   = HMAC-SHA256(key, "v1." kid "." base64url(payload) "." audience)
//
// Integrity only: the payload is readable by whoever holds the token.
//
// Thread safety: immutable after construction; safe for concurrent use.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpx {

class Sealer {
 public:
  // `keys` empty: one random key for this process (tokens do not survive a
  // restart nor cross to another node); generated() says so.
  Sealer(std::vector<std::string> keys, std::string audience);

  std::string Seal(std::string_view payload) const;
  // The payload, or nullopt when the token is malformed, names no key of the
  // ring, or fails its MAC (tampered, or sealed for another audience).
  std::optional<std::string> Open(std::string_view token) const;

  bool generated() const { return generated_; }

 private:
  struct Key {
    std::string id;  // 8 hex digits
    std::string secret;
  };
  std::string Mac(const Key& key, std::string_view sealed_part) const;

  std::vector<Key> keys_;
  std::string audience_;
  bool generated_ = false;
};

}  // namespace mcpx
