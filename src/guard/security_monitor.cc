#include "guard/security_monitor.h"

#include <algorithm>
#include <cstring>
#include <thread>

namespace mcpx::guard {

std::string_view Name(SecurityEventKind kind) {
  switch (kind) {
    case SecurityEventKind::kRateLimited: return "rate_limited";
    case SecurityEventKind::kConnectionRefused: return "connection_refused";
    case SecurityEventKind::kReputationBlocked: return "reputation_blocked";
    case SecurityEventKind::kReputationRefused: return "reputation_refused";
    case SecurityEventKind::kMalformedRequest: return "malformed_request";
    case SecurityEventKind::kOriginRejected: return "origin_rejected";
    case SecurityEventKind::kHeaderTimeout: return "header_timeout";
    case SecurityEventKind::kAuthFailed: return "auth_failed";
    case SecurityEventKind::kInsufficientScope: return "insufficient_scope";
    case SecurityEventKind::kBreakerOpened: return "breaker_opened";
    case SecurityEventKind::kBreakerClosed: return "breaker_closed";
    case SecurityEventKind::kSessionPrincipalMismatch: return "session_principal_mismatch";
  }
  return "unknown";
}

namespace {

// Copies at most `size` bytes of `in` to `out`, cutting before a UTF-8
// sequence that would not fit whole. True when something was cut.
template <std::size_t N>
bool CopyTruncated(std::string_view in, char (&out)[N], std::uint8_t* length) {
  static_assert(N <= 255);
  std::size_t n = in.size();
  if (n > N) {
    n = N;
    // in[n] is the first byte cut: while it continues a sequence, that
    // sequence started at or before in[n - 1]; drop its kept bytes too.
    while (n > 0 && (static_cast<unsigned char>(in[n]) & 0xC0) == 0x80) --n;
  }
  if (n > 0) std::memcpy(out, in.data(), n);  // an empty view may have a null data()
  *length = static_cast<std::uint8_t>(n);
  return n != in.size();
}

}  // namespace

SecurityMonitor::SecurityMonitor(MonitorOptions options)
    : options_(options),
      capacity_(std::max<std::size_t>(1, options.capacity)),
      slots_(new Slot[capacity_]),
      addresses_(options.max_addresses) {}

void SecurityMonitor::Write(SlotData& data, std::uint64_t sequence, const SecurityEvent& event) {
  data.sequence = sequence;
  data.time_us = event.time_us;
  data.kind = event.kind;
  bool truncated = CopyTruncated(event.address, data.address, &data.address_len);
  truncated |= CopyTruncated(event.principal, data.principal, &data.principal_len);
  truncated |= CopyTruncated(event.session_id, data.session_id, &data.session_len);
  truncated |= CopyTruncated(event.detail, data.detail, &data.detail_len);
  data.truncated = truncated;
}

SecurityEventRecord SecurityMonitor::Read(const SlotData& data) {
  return {.sequence = data.sequence,
          .kind = data.kind,
          .time_us = data.time_us,
          .address = std::string(data.address, data.address_len),
          .principal = std::string(data.principal, data.principal_len),
          .session_id = std::string(data.session_id, data.session_len),
          .detail = std::string(data.detail, data.detail_len),
          .truncated = data.truncated};
}

bool SecurityMonitor::Record(const SecurityEvent& event) {
  const auto kind = static_cast<std::size_t>(event.kind);
  if (kind >= kSecurityEventKinds) return false;
  counts_[kind].fetch_add(1, std::memory_order_relaxed);
  total_.fetch_add(1, std::memory_order_relaxed);

  if (!event.address.empty()) {
    const std::int64_t now_us = event.time_us;
    const std::int64_t idle_before = now_us - options_.address_ttl_us;
    addresses_.ApplyOrAggregate(
        event.address, [&event] { return AddressPrefix(event.address); },
        [idle_before](const AddressCount& entry) { return entry.last_us.load(std::memory_order_relaxed) <= idle_before; },
        [now_us](AddressCount& entry, KeyLevel) {
          entry.events.fetch_add(1, std::memory_order_relaxed);
          std::int64_t last = entry.last_us.load(std::memory_order_relaxed);
          while (last < now_us && !entry.last_us.compare_exchange_weak(last, now_us, std::memory_order_relaxed)) {
          }
        });
  }

  // Claim a slot; write it if its try-lock is free and no writer a whole ring
  // ahead has filled it already.
  const std::uint64_t sequence = sequence_.fetch_add(1, std::memory_order_relaxed) + 1;
  Slot& slot = slots_[(sequence - 1) % capacity_];
  bool stored = false;
  if (!slot.busy.exchange(true, std::memory_order_acquire)) {
    if (slot.data.sequence < sequence) {
      Write(slot.data, sequence, event);
      stored = true;
    }
    slot.busy.store(false, std::memory_order_release);
  }
  if (!stored) dropped_.fetch_add(1, std::memory_order_relaxed);

  if (hook_) hook_(event);
  return stored;
}

std::vector<SecurityEventRecord> SecurityMonitor::Recent(std::size_t max) const {
  std::vector<SecurityEventRecord> events;
  const std::uint64_t newest = sequence_.load(std::memory_order_relaxed);
  const std::uint64_t span = std::min<std::uint64_t>({newest, capacity_, max});
  events.reserve(span);
  for (std::uint64_t sequence = newest; sequence > newest - span; --sequence) {
    const Slot& slot = slots_[(sequence - 1) % capacity_];
    // A writer holds a slot for a few hundred bytes' copy: spin briefly.
    bool locked = false;
    for (int attempt = 0; attempt < 64 && !locked; ++attempt) {
      locked = !slot.busy.exchange(true, std::memory_order_acquire);
      if (!locked) std::this_thread::yield();
    }
    if (!locked) continue;
    const SlotData data = slot.data;  // copy out, then let writers in again
    slot.busy.store(false, std::memory_order_release);
    // Not yet written (claimed, still being written) or already a newer one.
    if (data.sequence == sequence) events.push_back(Read(data));
  }
  return events;
}

std::vector<std::pair<std::string, std::uint64_t>> SecurityMonitor::TopAddresses(std::size_t max) const {
  std::vector<std::pair<std::string, std::uint64_t>> all;
  addresses_.ForEach([&all](std::string_view address, const AddressCount& entry) {
    all.emplace_back(std::string(address), entry.events.load(std::memory_order_relaxed));
  });
  if (const std::uint64_t other = addresses_.overflow().events.load(std::memory_order_relaxed); other > 0) {
    all.emplace_back(std::string(kOtherAddresses), other);
  }
  const auto by_count = [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; };
  const std::size_t n = std::min(max, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), by_count);
  all.resize(n);
  return all;
}

std::uint64_t SecurityMonitor::CountFor(std::string_view address) const {
  std::uint64_t count = 0;
  addresses_.Find(address, [&count](const AddressCount& entry) { count = entry.events.load(std::memory_order_relaxed); });
  return count;
}

std::size_t SecurityMonitor::Sweep(std::int64_t now_us) {
  const std::int64_t idle_before = now_us - options_.address_ttl_us;
  return addresses_.Sweep(
      [idle_before](const AddressCount& entry) { return entry.last_us.load(std::memory_order_relaxed) <= idle_before; });
}

}  // namespace mcpx::guard
