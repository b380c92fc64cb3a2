#include "engine/fanout/hub.h"

#include <algorithm>
#include <utility>

#include "protocol/jsonrpc.h"

namespace mcpx::engine {
namespace {

constexpr std::string_view kListTopics[] = {"l:tools", "l:prompts", "l:resources"};

std::string ResourceTopic(std::string_view uri) { return "r:" + std::string(uri); }

}  // namespace

std::string_view ListChangedMethod(ListKind kind) {
  switch (kind) {
    case ListKind::kTools:
      return "notifications/tools/list_changed";
    case ListKind::kPrompts:
      return "notifications/prompts/list_changed";
    case ListKind::kResources:
      break;
  }
  return "notifications/resources/list_changed";
}

std::optional<ListKind> ListKindOf(std::string_view method) {
  for (ListKind kind : {ListKind::kTools, ListKind::kPrompts, ListKind::kResources}) {
    if (method == ListChangedMethod(kind)) return kind;
  }
  return std::nullopt;
}

SubscriptionHub::SubscriptionHub(observe::Metrics& metrics, ServerOptions::NotifyFilter visible)
    : metrics_(metrics), visible_(std::move(visible)) {}

SubscriptionHub::Shard& SubscriptionHub::ShardOf(std::string_view topic) {
  return shards_[std::hash<std::string_view>{}(topic) % kShards];
}

bool SubscriptionHub::SubscribeResource(const std::shared_ptr<Subscriber>& s, std::string_view uri) {
  return Add(s, ResourceTopic(uri));
}

bool SubscriptionHub::SubscribeList(const std::shared_ptr<Subscriber>& s, ListKind kind) {
  return Add(s, std::string(kListTopics[static_cast<std::size_t>(kind)]));
}

bool SubscriptionHub::Add(const std::shared_ptr<Subscriber>& s, std::string topic) {
  MutexLock own(&s->topics_mu_);
  if (s->removed_) return false;
  if (std::find(s->topics_.begin(), s->topics_.end(), topic) != s->topics_.end()) return true;
  {
    Shard& shard = ShardOf(topic);
    MutexLock lock(&shard.mu);
    shard.topics[topic].push_back(s);
  }
  if (s->topics_.empty()) {
    subscribers_.fetch_add(1, std::memory_order_relaxed);
    metrics_.subscribers.Add(1);
  }
  s->topics_.push_back(std::move(topic));
  return true;
}

void SubscriptionHub::Drop(Subscriber& s, std::string_view topic) {
  Shard& shard = ShardOf(topic);
  MutexLock lock(&shard.mu);
  auto it = shard.topics.find(absl::string_view(topic.data(), topic.size()));
  if (it == shard.topics.end()) return;
  std::erase_if(it->second, [&s](const std::shared_ptr<Subscriber>& p) { return p.get() == &s; });
  if (it->second.empty()) shard.topics.erase(it);
}

void SubscriptionHub::UnsubscribeResource(Subscriber& s, std::string_view uri) {
  const std::string topic = ResourceTopic(uri);
  MutexLock own(&s.topics_mu_);
  auto it = std::find(s.topics_.begin(), s.topics_.end(), topic);
  if (it == s.topics_.end()) return;
  s.topics_.erase(it);
  Drop(s, topic);
  if (s.topics_.empty()) {
    subscribers_.fetch_sub(1, std::memory_order_relaxed);
    metrics_.subscribers.Add(-1);
  }
}

bool SubscriptionHub::Remove(Subscriber& s) {
  MutexLock own(&s.topics_mu_);
  if (s.removed_) return false;
  s.removed_ = true;
  for (const std::string& topic : s.topics_) Drop(s, topic);
  if (!s.topics_.empty()) {
    subscribers_.fetch_sub(1, std::memory_order_relaxed);
    metrics_.subscribers.Add(-1);
  }
  s.topics_.clear();
  return true;
}

std::size_t SubscriptionHub::Sweep() {
  std::size_t removed = 0;
  for (Shard& shard : shards_) {
    // One shard at a time, so the copy stays a shard's size.
    std::vector<std::shared_ptr<Subscriber>> seen;
    {
      MutexLock lock(&shard.mu);
      for (const auto& [topic, subscribers] : shard.topics) {
        seen.insert(seen.end(), subscribers.begin(), subscribers.end());
      }
    }
    for (const auto& s : seen) {
      if (!s->alive() && Remove(*s)) ++removed;
    }
  }
  return removed;
}

std::size_t SubscriptionHub::DeliverResourceUpdated(std::string_view uri) {
  return Deliver(ResourceTopic(uri), "notifications/resources/updated", json::object{{"uri", uri}}, uri);
}

std::size_t SubscriptionHub::DeliverListChanged(ListKind kind) {
  return Deliver(kListTopics[static_cast<std::size_t>(kind)], ListChangedMethod(kind), json::object(), {});
}

std::size_t SubscriptionHub::Deliver(std::string_view topic, std::string_view method, const json::object& params,
                                     std::string_view filter_uri) {
  std::vector<std::shared_ptr<Subscriber>> targets;
  {
    Shard& shard = ShardOf(topic);
    MutexLock lock(&shard.mu);
    auto it = shard.topics.find(absl::string_view(topic.data(), topic.size()));
    if (it == shard.topics.end()) return 0;
    targets = it->second;  // delivery runs on this copy, with no lock held
  }
  const std::string text = protocol::SerializeNotification(method, params);
  std::size_t delivered = 0;
  std::vector<Subscriber*> failed;
  for (const auto& s : targets) {
    if (!filter_uri.empty() && visible_ && !visible_(s->identity(), filter_uri)) {
      metrics_.notifications_filtered.Add();
      continue;
    }
    if (s->Deliver(method, params, text)) {
      ++delivered;
      metrics_.notifications_delivered.Add();
    } else {
      failed.push_back(s.get());
    }
  }
  for (Subscriber* s : failed) {
    metrics_.notifications_dropped.Add();
    Remove(*s);
  }
  return delivered;
}

}  // namespace mcpx::engine
