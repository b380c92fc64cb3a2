#include "guard/security_monitor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace mcpx::guard {
namespace {

constexpr std::int64_t kSecond = 1'000'000;

TEST(SecurityMonitor, TheRingKeepsTheNewestEventsNewestFirst) {
  SecurityMonitor monitor({.capacity = 8});
  EXPECT_TRUE(monitor.Recent(10).empty());
  for (int i = 1; i <= 20; ++i) {
    const std::string detail = "event " + std::to_string(i);
    EXPECT_TRUE(monitor.Record({.kind = SecurityEventKind::kRateLimited, .time_us = i, .address = "10.0.0.1", .detail = detail}));
  }
  const auto events = monitor.Recent(100);
  ASSERT_EQ(events.size(), 8u);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(events[i].sequence, 20u - i);
    EXPECT_EQ(events[i].time_us, 20 - i);
    EXPECT_EQ(events[i].detail, "event " + std::to_string(20 - i));
    EXPECT_EQ(events[i].address, "10.0.0.1");
    EXPECT_EQ(events[i].kind, SecurityEventKind::kRateLimited);
  }
  const auto three = monitor.Recent(3);
  ASSERT_EQ(three.size(), 3u);
  EXPECT_EQ(three[0].sequence, 20u);
  EXPECT_EQ(three[2].sequence, 18u);
  EXPECT_EQ(monitor.total(), 20u);
  EXPECT_EQ(monitor.dropped(), 0u);
}

TEST(SecurityMonitor, LongFieldsAreTruncatedAtACharacterBoundary) {
  SecurityMonitor monitor;
  const std::string address(100, 'a');
  std::string detail = "x";
  for (int i = 0; i < 100; ++i) detail += "\xC3\xA9";  // é: 201 bytes, a sequence straddles byte 128
  const std::string principal = "alice";
  monitor.Record({.kind = SecurityEventKind::kAuthFailed, .address = address, .principal = principal, .session_id = std::string(300, 's'), .detail = detail});
  const auto events = monitor.Recent(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].address, std::string(SecurityMonitor::kAddressBytes, 'a'));
  EXPECT_EQ(events[0].session_id.size(), SecurityMonitor::kSessionBytes);
  EXPECT_EQ(events[0].principal, "alice");
  EXPECT_EQ(events[0].detail, detail.substr(0, 127));  // not 128: that would split an é
  EXPECT_TRUE(events[0].truncated);
  monitor.Record({.kind = SecurityEventKind::kAuthFailed, .address = "short"});
  EXPECT_FALSE(monitor.Recent(1)[0].truncated);
}

TEST(SecurityMonitor, CountsPerKindAndPerAddress) {
  SecurityMonitor monitor;
  for (int i = 0; i < 5; ++i) monitor.Record({.kind = SecurityEventKind::kAuthFailed, .address = "10.0.0.1"});
  for (int i = 0; i < 3; ++i) monitor.Record({.kind = SecurityEventKind::kOriginRejected, .address = "10.0.0.2"});
  monitor.Record({.kind = SecurityEventKind::kBreakerOpened, .detail = "slow_tool"});  // no address
  monitor.Record({.kind = SecurityEventKind::kAuthFailed, .address = "10.0.0.3"});
  EXPECT_EQ(monitor.Count(SecurityEventKind::kAuthFailed), 6u);
  EXPECT_EQ(monitor.Count(SecurityEventKind::kOriginRejected), 3u);
  EXPECT_EQ(monitor.Count(SecurityEventKind::kBreakerOpened), 1u);
  EXPECT_EQ(monitor.Count(SecurityEventKind::kRateLimited), 0u);
  EXPECT_EQ(monitor.total(), 10u);
  EXPECT_EQ(monitor.CountFor("10.0.0.1"), 5u);
  EXPECT_EQ(monitor.CountFor("10.0.0.9"), 0u);
  EXPECT_EQ(monitor.addresses(), 3u);
  const auto top = monitor.TopAddresses(2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0], std::make_pair(std::string("10.0.0.1"), std::uint64_t{5}));
  EXPECT_EQ(top[1], std::make_pair(std::string("10.0.0.2"), std::uint64_t{3}));
  EXPECT_EQ(Name(SecurityEventKind::kSessionPrincipalMismatch), "session_principal_mismatch");
  EXPECT_EQ(Name(SecurityEventKind::kReputationRefused), "reputation_refused");
}

TEST(SecurityMonitor, AddressCountsAreBoundedAndSwept) {
  SecurityMonitor monitor({.max_addresses = 16, .address_ttl_us = 60 * kSecond});
  for (int i = 0; i < 200; ++i) {
    monitor.Record({.kind = SecurityEventKind::kRateLimited, .time_us = 10 * kSecond, .address = "2001:db8::" + std::to_string(i)});
  }
  EXPECT_LE(monitor.addresses(), 16u);
  std::uint64_t counted = 0;
  for (const auto& [address, count] : monitor.TopAddresses(100)) counted += count;
  EXPECT_EQ(counted, 200u);  // each event counted once: its address, its /64, or "(other)"
  EXPECT_EQ(monitor.Sweep(69 * kSecond), 0u);
  const std::size_t kept = monitor.addresses();
  EXPECT_EQ(monitor.Sweep(70 * kSecond), kept);  // idle for the whole ttl
  EXPECT_EQ(monitor.addresses(), 0u);
}

TEST(SecurityMonitor, TheHookSeesEveryEventWhole) {
  SecurityMonitor monitor({.capacity = 4});
  std::vector<std::string> seen;
  monitor.set_hook([&](const SecurityEvent& event) { seen.push_back(std::string(Name(event.kind)) + " " + std::string(event.detail)); });
  const std::string long_detail(500, 'd');
  monitor.Record({.kind = SecurityEventKind::kBreakerOpened, .detail = long_detail});
  monitor.Record({.kind = SecurityEventKind::kBreakerClosed, .detail = "t"});
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], "breaker_opened " + long_detail);  // the hook is given the untruncated event
  EXPECT_EQ(seen[1], "breaker_closed t");
}

// Writers on four threads and a reader copying the ring at the same time:
// no data race (TSan), every event counted, every copied event whole, and
// the ring holds only what was written.
TEST(SecurityMonitorConcurrency, WritersAndAReaderNeverRace) {
  SecurityMonitor monitor({.capacity = 64, .max_addresses = 64});
  std::atomic<int> hooked{0};
  monitor.set_hook([&](const SecurityEvent&) { ++hooked; });
  constexpr int kWriters = 4;
  constexpr int kEach = 5000;
  std::atomic<bool> done{false};
  std::atomic<int> read{0};
  std::thread reader([&] {
    while (!done.load()) {
      const auto events = monitor.Recent(32);
      for (std::size_t i = 0; i < events.size(); ++i) {
        const auto& e = events[i];
        // Written as address "10.0.<w>.1", detail "<w>:<i>", time i.
        const std::string w = e.address.substr(5, e.address.size() - 7);
        EXPECT_EQ(e.detail, w + ":" + std::to_string(e.time_us));
        if (i > 0) {
          EXPECT_LT(e.sequence, events[i - 1].sequence);
        }
      }
      read += static_cast<int>(events.size());
      monitor.TopAddresses(4);
    }
  });
  std::vector<std::thread> writers;
  std::atomic<int> stored{0};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      const std::string address = "10.0." + std::to_string(w) + ".1";
      for (int i = 0; i < kEach; ++i) {
        const std::string detail = std::to_string(w) + ":" + std::to_string(i);
        stored += monitor.Record({.kind = static_cast<SecurityEventKind>(i % kSecurityEventKinds), .time_us = i, .address = address, .detail = detail});
      }
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  reader.join();
  EXPECT_EQ(monitor.total(), std::uint64_t{kWriters * kEach});
  EXPECT_EQ(hooked.load(), kWriters * kEach);
  EXPECT_EQ(static_cast<std::uint64_t>(stored.load()) + monitor.dropped(), monitor.total());
  std::uint64_t by_kind = 0;
  for (std::size_t k = 0; k < kSecurityEventKinds; ++k) by_kind += monitor.Count(static_cast<SecurityEventKind>(k));
  EXPECT_EQ(by_kind, monitor.total());
  for (int w = 0; w < kWriters; ++w) EXPECT_EQ(monitor.CountFor("10.0." + std::to_string(w) + ".1"), std::uint64_t{kEach});
  const auto last = monitor.Recent(64);
  EXPECT_LE(last.size(), 64u);
  EXPECT_GE(last.size(), 1u);
}

}  // namespace
}  // namespace mcpx::guard
