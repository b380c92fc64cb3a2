// The subscription hub (engine/fanout/hub.h) on its own: topics, delivery,
// Unsubscribe and Remove, the dropping of a subscriber whose delivery fails,
// the notify filter, and concurrent use from several threads. Subscribers
// are fakes that record what they are handed and fail on demand. Labelled
// "concurrency": also run under TSan.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "engine/fanout/bus.h"
#include "engine/fanout/hub.h"
#include "mcpx/json.h"
#include "mcpx/server.h"
#include "observe/metrics.h"
#include "protocol/jsonrpc.h"

namespace mcpx::engine {
namespace {

constexpr char kUriA[] = "mem://a";
constexpr char kUriB[] = "mem://b";

// One notification handed to a subscriber.
struct Delivery {
  std::string method;
  json::object params;
  std::string text;
};

class FakeSubscriber final : public Subscriber {
 public:
  explicit FakeSubscriber(std::string name = "client") : Subscriber(Identity(std::move(name))) {}

  static ClientIdentity Identity(std::string name) {
    return ClientIdentity{"", json::object{{"name", std::move(name)}, {"version", "1"}}};
  }

  bool Deliver(std::string_view method, const json::object& params, const std::string& text) override {
    calls_.fetch_add(1, std::memory_order_relaxed);
    if (fail_.load(std::memory_order_relaxed)) return false;
    MutexLock lock(&mu_);
    deliveries_.push_back({std::string(method), params, text});
    return true;
  }

  bool alive() const override { return !dead_.load(std::memory_order_relaxed); }

  // Deliveries from now on fail (the stream is gone or behind).
  void Fail() { fail_.store(true, std::memory_order_relaxed); }
  // It ends without anyone removing it (for the sweep).
  void Die() { dead_.store(true, std::memory_order_relaxed); }
  // Calls of Deliver, failed ones included.
  std::size_t calls() const { return calls_.load(std::memory_order_relaxed); }
  std::vector<Delivery> deliveries() const {
    MutexLock lock(&mu_);
    return deliveries_;
  }
  std::size_t count() const {
    MutexLock lock(&mu_);
    return deliveries_.size();
  }

 private:
  std::atomic<bool> fail_{false};
  std::atomic<bool> dead_{false};
  std::atomic<std::size_t> calls_{0};
  mutable Mutex mu_;
  std::vector<Delivery> deliveries_ ABSL_GUARDED_BY(mu_);
};

class HubTest : public ::testing::Test {
 protected:
  explicit HubTest(ServerOptions::NotifyFilter filter = nullptr) : hub_(metrics_, std::move(filter)) {}

  observe::Metrics metrics_;
  SubscriptionHub hub_;
};

TEST(ListKindTest, MethodsAndKindsMapBothWays) {
  EXPECT_EQ(ListChangedMethod(ListKind::kTools), "notifications/tools/list_changed");
  EXPECT_EQ(ListChangedMethod(ListKind::kPrompts), "notifications/prompts/list_changed");
  EXPECT_EQ(ListChangedMethod(ListKind::kResources), "notifications/resources/list_changed");
  for (ListKind kind : {ListKind::kTools, ListKind::kPrompts, ListKind::kResources}) {
    EXPECT_EQ(ListKindOf(ListChangedMethod(kind)), kind);
  }
  EXPECT_EQ(ListKindOf("notifications/resources/updated"), std::nullopt);
  EXPECT_EQ(ListKindOf("notifications/message"), std::nullopt);
}

TEST_F(HubTest, DeliveryReachesOnlyTheSubscribersOfThatTopic) {
  auto a = std::make_shared<FakeSubscriber>();      // resource A
  auto b = std::make_shared<FakeSubscriber>();      // resource B
  auto tools = std::make_shared<FakeSubscriber>();  // tools list
  ASSERT_TRUE(hub_.SubscribeResource(a, kUriA));
  ASSERT_TRUE(hub_.SubscribeResource(b, kUriB));
  ASSERT_TRUE(hub_.SubscribeList(tools, ListKind::kTools));
  EXPECT_EQ(hub_.subscribers(), 3u);
  EXPECT_EQ(metrics_.subscribers.value(), 3);

  EXPECT_EQ(hub_.DeliverResourceUpdated(kUriA), 1u);
  ASSERT_EQ(a->count(), 1u);
  EXPECT_EQ(b->count(), 0u);
  EXPECT_EQ(tools->count(), 0u);
  const Delivery d = a->deliveries()[0];
  EXPECT_EQ(d.method, "notifications/resources/updated");
  EXPECT_EQ(d.params, (json::object{{"uri", kUriA}}));
  // The text is the notification serialized, untagged.
  EXPECT_EQ(d.text, protocol::SerializeNotification("notifications/resources/updated", json::object{{"uri", kUriA}}));
  EXPECT_EQ(json::parse(d.text).at("params"), json::value(json::object{{"uri", kUriA}}));

  EXPECT_EQ(hub_.DeliverListChanged(ListKind::kTools), 1u);
  ASSERT_EQ(tools->count(), 1u);
  EXPECT_EQ(tools->deliveries()[0].method, "notifications/tools/list_changed");
  EXPECT_TRUE(tools->deliveries()[0].params.empty());
  EXPECT_EQ(a->count(), 1u);
  EXPECT_EQ(b->count(), 0u);

  // Topics nobody subscribed to reach nobody.
  EXPECT_EQ(hub_.DeliverListChanged(ListKind::kPrompts), 0u);
  EXPECT_EQ(hub_.DeliverListChanged(ListKind::kResources), 0u);
  EXPECT_EQ(hub_.DeliverResourceUpdated("mem://nobody"), 0u);
  // A resource URI and a list topic do not collide.
  EXPECT_EQ(hub_.DeliverResourceUpdated("l:tools"), 0u);
  EXPECT_EQ(tools->count(), 1u);
  EXPECT_EQ(metrics_.notifications_delivered.value(), 2u);
  EXPECT_EQ(metrics_.notifications_dropped.value(), 0u);
}

TEST_F(HubTest, OneSubscriberOnSeveralTopicsCountsOnceAndSubscribingTwiceDeliversOnce) {
  auto s = std::make_shared<FakeSubscriber>();
  ASSERT_TRUE(hub_.SubscribeResource(s, kUriA));
  ASSERT_TRUE(hub_.SubscribeResource(s, kUriA));  // again: no second entry
  ASSERT_TRUE(hub_.SubscribeResource(s, kUriB));
  ASSERT_TRUE(hub_.SubscribeList(s, ListKind::kPrompts));
  ASSERT_TRUE(hub_.SubscribeList(s, ListKind::kPrompts));
  EXPECT_EQ(hub_.subscribers(), 1u);
  EXPECT_EQ(metrics_.subscribers.value(), 1);
  EXPECT_EQ(hub_.DeliverResourceUpdated(kUriA), 1u);
  EXPECT_EQ(hub_.DeliverListChanged(ListKind::kPrompts), 1u);
  EXPECT_EQ(s->count(), 2u);
}

TEST_F(HubTest, UnsubscribeStopsThatTopicOnly) {
  auto s = std::make_shared<FakeSubscriber>();
  auto other = std::make_shared<FakeSubscriber>();
  ASSERT_TRUE(hub_.SubscribeResource(s, kUriA));
  ASSERT_TRUE(hub_.SubscribeResource(s, kUriB));
  ASSERT_TRUE(hub_.SubscribeResource(other, kUriA));
  hub_.UnsubscribeResource(*s, kUriA);
  EXPECT_EQ(hub_.DeliverResourceUpdated(kUriA), 1u);  // `other` only
  EXPECT_EQ(s->count(), 0u);
  EXPECT_EQ(other->count(), 1u);
  EXPECT_EQ(hub_.DeliverResourceUpdated(kUriB), 1u);
  EXPECT_EQ(s->count(), 1u);
  EXPECT_EQ(hub_.subscribers(), 2u);

  // Unsubscribing what it does not hold changes nothing.
  hub_.UnsubscribeResource(*s, "mem://never");
  hub_.UnsubscribeResource(*s, kUriA);
  EXPECT_EQ(hub_.subscribers(), 2u);

  // Its last topic gone, it no longer counts as a subscriber.
  hub_.UnsubscribeResource(*s, kUriB);
  EXPECT_EQ(hub_.subscribers(), 1u);
  EXPECT_EQ(metrics_.subscribers.value(), 1);
  EXPECT_EQ(hub_.DeliverResourceUpdated(kUriB), 0u);
  // Unlike Remove, Unsubscribe does not end it: it may subscribe again.
  ASSERT_TRUE(hub_.SubscribeResource(s, kUriB));
  EXPECT_EQ(hub_.subscribers(), 2u);
  EXPECT_EQ(hub_.DeliverResourceUpdated(kUriB), 1u);
  EXPECT_EQ(s->count(), 2u);
}

// What no removal path caught (a subscriber that ended without cancelling)
// the periodic sweep removes; the living stay.
TEST_F(HubTest, SweepRemovesSubscribersThatAreNoLongerAlive) {
  auto dead = std::make_shared<FakeSubscriber>();
  auto living = std::make_shared<FakeSubscriber>();
  ASSERT_TRUE(hub_.SubscribeResource(dead, kUriA));
  ASSERT_TRUE(hub_.SubscribeList(dead, ListKind::kTools));
  ASSERT_TRUE(hub_.SubscribeResource(living, kUriA));
  EXPECT_EQ(hub_.Sweep(), 0u);
  dead->Die();
  EXPECT_EQ(hub_.Sweep(), 1u);  // once, though it held two topics
  EXPECT_EQ(hub_.subscribers(), 1u);
  EXPECT_EQ(metrics_.subscribers.value(), 1);
  EXPECT_EQ(hub_.DeliverResourceUpdated(kUriA), 1u);
  EXPECT_EQ(dead->calls(), 0u);
  EXPECT_FALSE(hub_.SubscribeResource(dead, kUriB));  // removed for good
}

TEST_F(HubTest, RemoveDropsFromEveryTopicAndIsIdempotent) {
  auto s = std::make_shared<FakeSubscriber>();
  auto other = std::make_shared<FakeSubscriber>();
  ASSERT_TRUE(hub_.SubscribeResource(s, kUriA));
  ASSERT_TRUE(hub_.SubscribeResource(s, kUriB));
  ASSERT_TRUE(hub_.SubscribeList(s, ListKind::kTools));
  ASSERT_TRUE(hub_.SubscribeList(s, ListKind::kResources));
  ASSERT_TRUE(hub_.SubscribeResource(other, kUriA));
  EXPECT_EQ(metrics_.subscribers.value(), 2);

  hub_.Remove(*s);
  EXPECT_EQ(hub_.subscribers(), 1u);
  EXPECT_EQ(metrics_.subscribers.value(), 1);
  EXPECT_EQ(hub_.DeliverResourceUpdated(kUriA), 1u);
  EXPECT_EQ(hub_.DeliverResourceUpdated(kUriB), 0u);
  EXPECT_EQ(hub_.DeliverListChanged(ListKind::kTools), 0u);
  EXPECT_EQ(hub_.DeliverListChanged(ListKind::kResources), 0u);
  EXPECT_EQ(s->calls(), 0u);
  EXPECT_EQ(other->count(), 1u);

  // Again: the gauge does not move a second time.
  hub_.Remove(*s);
  hub_.Remove(*s);
  EXPECT_EQ(hub_.subscribers(), 1u);
  EXPECT_EQ(metrics_.subscribers.value(), 1);

  // A subscriber with no topic at all may be removed too; it never counted.
  auto idle = std::make_shared<FakeSubscriber>();
  hub_.Remove(*idle);
  EXPECT_EQ(metrics_.subscribers.value(), 1);
  hub_.Remove(*other);
  EXPECT_EQ(hub_.subscribers(), 0u);
  EXPECT_EQ(metrics_.subscribers.value(), 0);
}

TEST_F(HubTest, SubscribingAfterRemoveIsRefused) {
  auto s = std::make_shared<FakeSubscriber>();
  ASSERT_TRUE(hub_.SubscribeResource(s, kUriA));
  hub_.Remove(*s);
  EXPECT_FALSE(hub_.SubscribeResource(s, kUriA));
  EXPECT_FALSE(hub_.SubscribeResource(s, kUriB));
  EXPECT_FALSE(hub_.SubscribeList(s, ListKind::kTools));
  EXPECT_EQ(hub_.subscribers(), 0u);
  EXPECT_EQ(metrics_.subscribers.value(), 0);
  EXPECT_EQ(hub_.DeliverResourceUpdated(kUriA), 0u);
  EXPECT_EQ(hub_.DeliverResourceUpdated(kUriB), 0u);
  EXPECT_EQ(hub_.DeliverListChanged(ListKind::kTools), 0u);
  EXPECT_EQ(s->calls(), 0u);

  // Removed before it ever subscribed: refused as well (its stream ended
  // before the listen handler got to subscribe it).
  auto early = std::make_shared<FakeSubscriber>();
  hub_.Remove(*early);
  EXPECT_FALSE(hub_.SubscribeList(early, ListKind::kPrompts));
  EXPECT_EQ(metrics_.subscribers.value(), 0);
}

TEST_F(HubTest, AFailedDeliveryDropsTheSubscriberFromEveryTopicAtOnce) {
  auto failing = std::make_shared<FakeSubscriber>();
  auto healthy = std::make_shared<FakeSubscriber>();
  for (const auto& s : {failing, healthy}) {
    ASSERT_TRUE(hub_.SubscribeResource(s, kUriA));
    ASSERT_TRUE(hub_.SubscribeResource(s, kUriB));
    ASSERT_TRUE(hub_.SubscribeList(s, ListKind::kTools));
  }
  EXPECT_EQ(metrics_.subscribers.value(), 2);
  failing->Fail();

  EXPECT_EQ(hub_.DeliverResourceUpdated(kUriA), 1u);  // tried both; one took it
  EXPECT_EQ(failing->calls(), 1u);
  EXPECT_EQ(metrics_.notifications_dropped.value(), 1u);
  EXPECT_EQ(metrics_.notifications_delivered.value(), 1u);
  EXPECT_EQ(hub_.subscribers(), 1u);
  EXPECT_EQ(metrics_.subscribers.value(), 1);

  // Its other topics skip it: it is not even asked again.
  EXPECT_EQ(hub_.DeliverResourceUpdated(kUriB), 1u);
  EXPECT_EQ(hub_.DeliverListChanged(ListKind::kTools), 1u);
  EXPECT_EQ(hub_.DeliverResourceUpdated(kUriA), 1u);
  EXPECT_EQ(failing->calls(), 1u);
  EXPECT_EQ(failing->count(), 0u);
  EXPECT_EQ(healthy->count(), 4u);
  EXPECT_EQ(metrics_.notifications_dropped.value(), 1u);
  EXPECT_EQ(metrics_.notifications_delivered.value(), 4u);
  // And it cannot come back.
  EXPECT_FALSE(hub_.SubscribeResource(failing, kUriA));
}

TEST_F(HubTest, TheBusHandsPublicationsToTheHub) {
  LocalBus bus(hub_);
  auto s = std::make_shared<FakeSubscriber>();
  ASSERT_TRUE(hub_.SubscribeResource(s, kUriA));
  ASSERT_TRUE(hub_.SubscribeList(s, ListKind::kPrompts));
  bus.PublishResourceUpdated(kUriA);
  bus.PublishResourceUpdated(kUriB);
  bus.PublishListChanged(ListKind::kPrompts);
  bus.PublishListChanged(ListKind::kTools);
  const auto got = s->deliveries();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].method, "notifications/resources/updated");
  EXPECT_EQ(got[1].method, "notifications/prompts/list_changed");
}

// --- The notify filter ------------------------------------------------------------

// Rejects clients named "mallory", and everyone for mem://secret.
class FilteredHubTest : public HubTest {
 protected:
  FilteredHubTest()
      : HubTest([this](const ClientIdentity& who, std::string_view uri) {
          calls_.fetch_add(1, std::memory_order_relaxed);
          const json::value* name = who.client_info.if_contains("name");
          if (name && name->is_string() && name->get_string() == "mallory") return false;
          return uri != "mem://secret";
        }) {}

  std::atomic<int> calls_{0};
};

TEST_F(FilteredHubTest, UpdatesAreWithheldFromTheSubscribersTheFilterRejects) {
  auto alice = std::make_shared<FakeSubscriber>("alice");
  auto mallory = std::make_shared<FakeSubscriber>("mallory");
  for (const auto& s : {alice, mallory}) {
    ASSERT_TRUE(hub_.SubscribeResource(s, kUriA));
    ASSERT_TRUE(hub_.SubscribeResource(s, "mem://secret"));
    ASSERT_TRUE(hub_.SubscribeList(s, ListKind::kTools));
  }

  EXPECT_EQ(hub_.DeliverResourceUpdated(kUriA), 1u);
  EXPECT_EQ(alice->count(), 1u);
  EXPECT_EQ(mallory->calls(), 0u);
  EXPECT_EQ(metrics_.notifications_filtered.value(), 1u);

  // The filter sees the URI too: nobody may see this one.
  EXPECT_EQ(hub_.DeliverResourceUpdated("mem://secret"), 0u);
  EXPECT_EQ(alice->count(), 1u);
  EXPECT_EQ(mallory->calls(), 0u);
  EXPECT_EQ(metrics_.notifications_filtered.value(), 3u);

  // Withheld is not failed: mallory stays subscribed, and nothing was dropped.
  EXPECT_EQ(hub_.subscribers(), 2u);
  EXPECT_EQ(metrics_.notifications_dropped.value(), 0u);

  // The filter governs resource updates only; list changes reach everyone
  // who asked, without asking it.
  const int asked = calls_.load();
  EXPECT_EQ(hub_.DeliverListChanged(ListKind::kTools), 2u);
  EXPECT_EQ(mallory->count(), 1u);
  EXPECT_EQ(mallory->deliveries()[0].method, "notifications/tools/list_changed");
  EXPECT_EQ(calls_.load(), asked);
  EXPECT_EQ(metrics_.notifications_filtered.value(), 3u);
}

// --- Concurrency ------------------------------------------------------------------

// Four threads subscribe, unsubscribe, deliver and remove, over shared topics
// and shared subscribers (some of which start failing midway). Checked by
// TSan for races, and by the end state: nothing left in the hub.
TEST_F(HubTest, ConcurrentSubscribeUnsubscribeDeliverAndRemove) {
  constexpr int kThreads = 4;
  constexpr int kIterations = 2000;
  constexpr int kUris = 8;
  auto uri = [](int i) { return "mem://c/" + std::to_string(i % kUris); };

  // Shared by all threads; some fail after a while.
  std::vector<std::shared_ptr<FakeSubscriber>> shared;
  for (int i = 0; i < 8; ++i) shared.push_back(std::make_shared<FakeSubscriber>("shared" + std::to_string(i)));

  std::vector<std::vector<std::shared_ptr<FakeSubscriber>>> owned(kThreads);
  std::atomic<std::size_t> delivered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::shared_ptr<FakeSubscriber>>& mine = owned[t];
      for (int i = 0; i < kIterations; ++i) {
        const int k = i * kThreads + t;  // spreads the indices below
        // Halfway, this thread's shared subscriber starts failing: it is
        // dropped at its next delivery.
        if (i == kIterations / 2) shared[t]->Fail();
        switch ((i + t) % 8) {  // every thread runs every operation, staggered
          case 0: {  // a new subscriber of its own
            auto s = std::make_shared<FakeSubscriber>();
            hub_.SubscribeResource(s, uri(k));
            hub_.SubscribeList(s, static_cast<ListKind>(k % 3));
            mine.push_back(std::move(s));
            break;
          }
          case 1:
            hub_.SubscribeResource(shared[k % shared.size()], uri(k));
            break;
          case 2:
            hub_.UnsubscribeResource(*shared[(k / 8) % shared.size()], uri(k / 3));
            break;
          case 3:
            delivered.fetch_add(hub_.DeliverResourceUpdated(uri(k)), std::memory_order_relaxed);
            break;
          case 4:
            delivered.fetch_add(hub_.DeliverListChanged(static_cast<ListKind>(k % 3)), std::memory_order_relaxed);
            break;
          case 5:
            if (!mine.empty()) hub_.Remove(*mine[k % mine.size()]);
            break;
          case 6:
            hub_.SubscribeList(shared[(k / 8) % shared.size()], static_cast<ListKind>(k % 3));
            break;
          default:
            if (!mine.empty()) hub_.UnsubscribeResource(*mine[k % mine.size()], uri(k));
            break;
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  EXPECT_GT(delivered.load(), 0u);
  EXPECT_EQ(metrics_.notifications_delivered.value(), delivered.load());
  EXPECT_EQ(hub_.subscribers(), static_cast<std::size_t>(metrics_.subscribers.value()));
  // The failing subscribers not dropped yet (no delivery reached them after
  // they failed) are dropped by the next one; then none can subscribe again.
  for (int t = 0; t < kThreads; ++t) hub_.SubscribeResource(shared[t], "mem://final");
  hub_.DeliverResourceUpdated("mem://final");
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_FALSE(hub_.SubscribeList(shared[t], ListKind::kTools)) << "shared" << t;
  }
  // Once each at least (two threads may both have seen one fail before either
  // dropped it).
  EXPECT_GE(metrics_.notifications_dropped.value(), static_cast<std::uint64_t>(kThreads));

  for (const auto& s : shared) hub_.Remove(*s);
  for (const auto& mine : owned) {
    for (const auto& s : mine) hub_.Remove(*s);
  }
  EXPECT_EQ(hub_.subscribers(), 0u);
  EXPECT_EQ(metrics_.subscribers.value(), 0);
  // Nothing is left in any topic.
  for (int i = 0; i < kUris; ++i) EXPECT_EQ(hub_.DeliverResourceUpdated(uri(i)), 0u);
  for (ListKind kind : {ListKind::kTools, ListKind::kPrompts, ListKind::kResources}) {
    EXPECT_EQ(hub_.DeliverListChanged(kind), 0u);
  }
}

}  // namespace
}  // namespace mcpx::engine
