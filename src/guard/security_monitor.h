// The security monitor: every security event (a rate limit, a refused
// connection, a block, a malformed request, an authentication failure, a
// breaker tripping ...) goes into a bounded ring of recent events, per-kind
// counters, per-address counters, and an optional hook (for logs or alerts).
//
// Memory is bounded in bytes: the ring has `capacity` fixed-size slots whose
// strings are inline char arrays, truncated (at a UTF-8 boundary) to
// kAddressBytes, kPrincipalBytes, kSessionBytes and kDetailBytes; the address
// counters are a KeyTable (guard/key_table.h) of at most `max_addresses`
// (when full: the address's /24 or /64, then one overflow entry, listed as
// "(other)").
//
// Writers never block. A writer claims a slot with fetch_add on a sequence
// number, then takes the slot's one-byte try-lock; when the slot is busy (a
// reader copying it, or a writer a whole ring behind), the event is dropped
// from the ring and counted in dropped() (its counters and hook still run).
// A reader (Recent, for the admin endpoint) takes the same try-lock, spinning
// briefly, to copy a slot.
//
// Why not a seqlock (writers bump a version, readers copy and retry on a
// change)? Its reader copies the payload while a writer may be writing it:
// the version check discards the torn copy, but the concurrent plain read and
// write are still a data race, undefined behaviour in C++ and reported by
// ThreadSanitizer; making every payload byte atomic would fix that at a cost
// worse than the lock. The try-lock has no race, and never makes a writer wait.
//
// Example:
//   SecurityMonitor monitor;
//   monitor.set_hook([](const SecurityEvent& e) { log(Name(e.kind), e.address); });
//   monitor.Record({.kind = SecurityEventKind::kAuthFailed, .time_us = now, .address = peer});
//   for (const SecurityEventRecord& e : monitor.Recent(50)) ...
//
// Thread safety: safe for concurrent use (the hook must be set before).
// Time is passed in the events.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "guard/key_table.h"

namespace mcpx::guard {

enum class SecurityEventKind : std::uint8_t {
  kRateLimited,               // a rate limit refused a request
  kConnectionRefused,         // the per-address connection cap refused a connection
  kReputationBlocked,         // an address's reputation fell: it is now blocked
  kReputationRefused,         // a connection refused while its address is blocked
  kMalformedRequest,          // unparseable or invalid request
  kOriginRejected,            // Origin/Host not allowed
  kHeaderTimeout,             // request head not complete in time
  kAuthFailed,                // missing or invalid credentials
  kInsufficientScope,         // valid credentials, not enough scope
  kBreakerOpened,             // a tool's circuit breaker opened
  kBreakerClosed,             // ... and closed again
  kSessionPrincipalMismatch,  // a session id presented by another principal
};
inline constexpr std::size_t kSecurityEventKinds = 12;

// snake_case, for metric labels ("rate_limited", ...).
std::string_view Name(SecurityEventKind kind);

// An event as reported (and as the hook sees it): the views need to live
// only for the call.
struct SecurityEvent {
  SecurityEventKind kind = SecurityEventKind::kMalformedRequest;
  std::int64_t time_us = 0;  // microseconds of the caller's monotonic clock
  std::string_view address;     // client address ("" when none, e.g. stdio)
  std::string_view principal;   // authenticated subject, if any
  std::string_view session_id;  // session, if any
  std::string_view detail;      // free text (a tool name, a reason)
};

// An event as kept in the ring, copied out by Recent.
struct SecurityEventRecord {
  std::uint64_t sequence = 0;  // 1, 2, ... in the order events were claimed
  SecurityEventKind kind = SecurityEventKind::kMalformedRequest;
  std::int64_t time_us = 0;
  std::string address, principal, session_id, detail;
  bool truncated = false;  // some field was cut to its slot size
};

struct MonitorOptions {
  std::size_t capacity = 1024;                   // events kept (at least 1)
  std::size_t max_addresses = 4096;              // per-address counters kept
  std::int64_t address_ttl_us = 3'600'000'000;   // Sweep forgets an address idle this long
};

class SecurityMonitor {
 public:
  // Inline sizes of a slot's strings (bytes, longer values are truncated).
  static constexpr std::size_t kAddressBytes = 48;
  static constexpr std::size_t kPrincipalBytes = 64;
  static constexpr std::size_t kSessionBytes = 64;
  static constexpr std::size_t kDetailBytes = 128;
  // What the address list calls the overflow entry.
  static constexpr std::string_view kOtherAddresses = "(other)";

  using Hook = std::function<void(const SecurityEvent&)>;

  explicit SecurityMonitor(MonitorOptions options = {});
  SecurityMonitor(const SecurityMonitor&) = delete;
  SecurityMonitor& operator=(const SecurityMonitor&) = delete;

  // Set once, before the first Record. Called for every event, on the
  // recording thread, outside any lock; it must be thread-safe and quick.
  void set_hook(Hook hook) { hook_ = std::move(hook); }

  // Counts the event, keeps it in the ring, and calls the hook. Never blocks;
  // false when the ring dropped it (see the overview).
  bool Record(const SecurityEvent& event);

  // Up to `max` of the most recent events, newest first. (An event being
  // written at that moment may be missing.)
  std::vector<SecurityEventRecord> Recent(std::size_t max) const;

  // Up to `max` addresses (or prefixes, or kOtherAddresses) with the most
  // events, most first.
  std::vector<std::pair<std::string, std::uint64_t>> TopAddresses(std::size_t max) const;

  // Events from `address` itself (0 when untracked).
  std::uint64_t CountFor(std::string_view address) const;

  // Forgets the addresses with no event within address_ttl_us; returns how many.
  std::size_t Sweep(std::int64_t now_us);

  // Counters, for metrics (atomic loads).
  std::uint64_t Count(SecurityEventKind kind) const {
    return counts_[static_cast<std::size_t>(kind)].load(std::memory_order_relaxed);
  }
  std::uint64_t total() const { return total_.load(std::memory_order_relaxed); }
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  std::size_t addresses() const { return addresses_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  // A slot's payload (trivially copyable: a reader copies it out whole).
  struct SlotData {
    std::uint64_t sequence = 0;  // 0: never written
    std::int64_t time_us = 0;
    SecurityEventKind kind = SecurityEventKind::kMalformedRequest;
    bool truncated = false;
    std::uint8_t address_len = 0, principal_len = 0, session_len = 0, detail_len = 0;
    char address[kAddressBytes]{};
    char principal[kPrincipalBytes]{};
    char session_id[kSessionBytes]{};
    char detail[kDetailBytes]{};
  };
  // One ring slot: `data` is written and read only by the holder of `busy`
  // (taken by exchange(true, acquire), released by store(false, release)).
  struct alignas(64) Slot {
    mutable std::atomic<bool> busy{false};
    SlotData data;
  };
  // Per-address counts. Thread safety: atomics.
  struct AddressCount {
    std::atomic<std::uint64_t> events{0};
    std::atomic<std::int64_t> last_us{0};
  };

  static void Write(SlotData& data, std::uint64_t sequence, const SecurityEvent& event);
  static SecurityEventRecord Read(const SlotData& data);

  const MonitorOptions options_;
  const std::size_t capacity_;
  std::unique_ptr<Slot[]> slots_;
  std::atomic<std::uint64_t> sequence_{0};  // the last claimed

  std::array<std::atomic<std::uint64_t>, kSecurityEventKinds> counts_{};
  std::atomic<std::uint64_t> total_{0};
  std::atomic<std::uint64_t> dropped_{0};
  KeyTable<AddressCount> addresses_;
  Hook hook_;
};

}  // namespace mcpx::guard
