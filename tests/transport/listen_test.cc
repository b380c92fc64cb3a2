// 2026-07-28 subscriptions/listen over HTTP, against a running server: the
// acknowledgement, the tagging of every notification with the subscription
// id, the filter (resource URIs, list kinds) and ServerOptions::notify_filter,
// a 2025-11-25 session's resources/subscribe beside a listen stream, the end
// of a stream (closed by its client, cut for falling behind, refused past
// max_listen_streams, completed at shutdown) and the subscriber gauges.
// Real loopback sockets; each stream is read incrementally. Labelled
// "concurrency": also run under TSan.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "engine/engine.h"
#include "engine/server_access.h"
#include "mcpx/http_transport.h"
#include "mcpx/server.h"
#include "protocol/meta.h"
#include "support/http_client.h"
#include "support/mcp_http.h"

namespace mcpx {
namespace {

using namespace std::chrono_literals;
using testing::HttpClient;
using testing::HttpResponse;

constexpr std::string_view kModern = "2026-07-28";
constexpr std::string_view kSubscriptionId = protocol::meta::kSubscriptionId;
constexpr auto kWait = 5s;  // for what must arrive
constexpr char kUriA[] = "mem://a";
constexpr char kUriB[] = "mem://b";

// --- A client reading one HTTP response as it arrives ----------------------------

// A raw loopback connection that sends one request and reads its response
// incrementally: the head, then the messages of an SSE body (chunked; each
// event's data is one JSON-RPC message) or of a JSON body. Blocking reads,
// each bounded by a deadline (poll).
class StreamClient {
 public:
  // `rcvbuf` > 0: SO_RCVBUF set before connecting (a reader that stalls soon).
  explicit StreamClient(unsigned short port, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~StreamClient() { Close(); }
  StreamClient(const StreamClient&) = delete;
  StreamClient& operator=(const StreamClient&) = delete;

  bool connected() const { return connected_; }

  void Send(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  // Waits for the response's head; false when none came in time.
  bool WaitHead(std::chrono::milliseconds timeout = kWait) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!head_done_ && Fill(deadline)) {
    }
    return head_done_;
  }
  int status() const { return status_; }
  // A header of the head (name in lower case), or "".
  std::string header(std::string_view name) const {
    const std::string key = "\r\n" + std::string(name) + ":";
    const auto pos = head_lower_.find(key);
    if (pos == std::string::npos) return {};
    const auto start = head_.find_first_not_of(' ', pos + key.size());
    return head_.substr(start, head_.find("\r\n", start) - start);
  }

  // The next message, or nullopt when none arrives within `timeout` (or the
  // response ended, or the connection closed, first).
  std::optional<json::value> Next(std::chrono::milliseconds timeout = kWait) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (messages_.empty() && !ended_ && !closed_ && Fill(deadline)) {
    }
    if (messages_.empty()) return std::nullopt;
    json::value m = std::move(messages_.front());
    messages_.pop_front();
    return m;
  }

  // Reads until the response ends or the connection closes; false when
  // neither happened within `timeout`. The messages read meanwhile are kept
  // for Next.
  bool ReadToEnd(std::chrono::milliseconds timeout = kWait) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!ended_ && !closed_ && Fill(deadline)) {
    }
    return ended_ || closed_;
  }
  // The response ended as HTTP says (last chunk, or the whole body).
  bool ended() const { return ended_; }
  // The server closed the connection (or reset it).
  bool closed() const { return closed_; }
  std::size_t pending() const { return messages_.size(); }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  // One read (at most) before `deadline`; false on timeout or a closed
  // connection.
  bool Fill(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0 || closed_) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) return true;
    if (ready <= 0) return false;
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    raw_.append(buf, static_cast<std::size_t>(n));
    Parse();
    return true;
  }

  void Parse() {
    if (!head_done_) {
      const auto end = raw_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      head_ = raw_.substr(0, end + 2);
      raw_.erase(0, end + 4);
      head_lower_ = head_;
      std::transform(head_lower_.begin(), head_lower_.end(), head_lower_.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      head_done_ = true;
      if (head_.size() > 12) status_ = std::stoi(head_.substr(9, 3));
      chunked_ = head_lower_.find("\r\ntransfer-encoding: chunked\r\n") != std::string::npos;
      sse_ = head_lower_.find("\r\ncontent-type: text/event-stream") != std::string::npos;
      const std::string length = header("content-length");
      content_length_ = length.empty() ? 0 : std::stoul(length);
    }
    if (chunked_) {
      while (!ended_) {
        const auto eol = raw_.find("\r\n");
        if (eol == std::string::npos) break;
        const std::size_t size = std::stoul(raw_.substr(0, eol), nullptr, 16);
        if (raw_.size() < eol + 2 + size + 2) break;
        if (size == 0) {
          ended_ = true;
        } else {
          body_.append(raw_, eol + 2, size);
        }
        raw_.erase(0, eol + 2 + size + 2);
      }
    } else if (!ended_ && raw_.size() >= content_length_) {
      body_ = raw_.substr(0, content_length_);
      raw_.erase(0, content_length_);
      ended_ = true;
      if (!sse_ && !body_.empty()) messages_.push_back(json::parse(body_));
      body_.clear();
      return;
    }
    if (!sse_) return;
    // Events end with a blank line; each "data:" line of one is its message.
    for (auto end = body_.find("\n\n"); end != std::string::npos; end = body_.find("\n\n")) {
      const std::string event = body_.substr(0, end + 1);
      body_.erase(0, end + 2);
      std::string data;
      for (std::size_t pos = 0; pos < event.size();) {
        const std::size_t eol = event.find('\n', pos);
        std::string_view line(event.data() + pos, eol - pos);
        pos = eol + 1;
        if (line.rfind("data:", 0) != 0) continue;
        line.remove_prefix(5);
        if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
        if (!data.empty()) data += '\n';
        data += line;
      }
      if (!data.empty()) messages_.push_back(json::parse(data));  // a priming event has none
    }
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string raw_;   // received, not yet decoded
  std::string body_;  // decoded, not yet split into events
  std::string head_;
  std::string head_lower_;
  bool head_done_ = false;
  int status_ = 0;
  bool chunked_ = false;
  bool sse_ = false;
  std::size_t content_length_ = 0;
  bool ended_ = false;
  bool closed_ = false;
  std::deque<json::value> messages_;
};

// --- Requests and what comes back -------------------------------------------------

std::map<std::string, std::string> ListenHeaders() {
  auto headers = testing::McpHeaders();
  headers["MCP-Protocol-Version"] = std::string(kModern);
  headers["Mcp-Method"] = "subscriptions/listen";
  return headers;
}

// A subscriptions/listen request with `filter` as params.notifications, from
// a client named `client`.
std::string ListenBody(const json::value& id, const json::object& filter, std::string_view client = "t") {
  json::object params{{"notifications", filter},
                      {"_meta", {{protocol::meta::kProtocolVersion, kModern},
                                 {protocol::meta::kClientCapabilities, json::object()},
                                 {protocol::meta::kClientInfo, {{"name", client}, {"version", "1"}}}}}};
  return json::serialize(json::object{
      {"jsonrpc", "2.0"}, {"id", id}, {"method", "subscriptions/listen"}, {"params", std::move(params)}});
}

const json::value* Find(const json::value& v, std::string_view key) {
  return v.is_object() ? v.get_object().if_contains(key) : nullptr;
}

std::string Method(const std::optional<json::value>& m) {
  const json::value* method = m ? Find(*m, "method") : nullptr;
  return method && method->is_string() ? std::string(method->get_string()) : std::string();
}

// A notification `method` on a listen stream, tagged with `id`, whose params
// (its _meta aside) are `params`.
::testing::AssertionResult IsTagged(const std::optional<json::value>& m, std::string_view method,
                                    const json::value& id, const json::object& params = {}) {
  if (!m) return ::testing::AssertionFailure() << "nothing arrived (want " << method << ")";
  const json::value* p = Find(*m, "params");
  const json::value* meta = p ? Find(*p, "_meta") : nullptr;
  const json::value* tag = meta ? Find(*meta, kSubscriptionId) : nullptr;
  if (Method(m) != method || Find(*m, "id") != nullptr || tag == nullptr || *tag != id) {
    return ::testing::AssertionFailure() << "not " << method << " tagged " << json::serialize(id) << ": "
                                         << json::serialize(*m);
  }
  json::object rest = p->get_object();
  rest.erase("_meta");
  if (rest != params) return ::testing::AssertionFailure() << "params differ: " << json::serialize(*m);
  return ::testing::AssertionSuccess();
}

json::object Updated(std::string_view uri) { return {{"uri", uri}}; }

// --- The server ------------------------------------------------------------------

class ListenTest : public ::testing::Test {
 protected:
  void Start(ServerOptions sopts = {}, HttpOptions hopts = {}) {
    sopts.name = "listen-test";
    if (sopts.worker_threads == 0) sopts.worker_threads = 2;
    server_ = std::make_unique<Server>(std::move(sopts));
    server_->Start();
    hopts.port = 0;
    http_ = std::make_unique<HttpTransport>(*server_, hopts);
    port_ = http_->Listen();
  }
  void TearDown() override {
    http_.reset();
    if (server_) server_->Stop();
  }

  // Opens a listen stream; `ack` gets its first message.
  std::unique_ptr<StreamClient> Open(const json::value& id, const json::object& filter, std::string_view client = "t",
                                     std::optional<json::value>* ack = nullptr, int rcvbuf = 0) {
    auto s = std::make_unique<StreamClient>(port_, rcvbuf);
    EXPECT_TRUE(s->connected());
    s->Send(HttpClient::Build("POST", "/mcp", ListenBody(id, filter, client), ListenHeaders()));
    std::optional<json::value> first = s->Next();
    EXPECT_EQ(Method(first), "notifications/subscriptions/acknowledged")
        << (first ? json::serialize(*first) : std::string("nothing"));
    if (ack) *ack = std::move(first);
    return s;
  }

  // A tool whose only purpose is the tools/list_changed its registration sends.
  void AddSomeTool() {
    server_->AddTool({.name = "tool" + std::to_string(++tools_),
                      .handler = [](Context&, const json::object&) { return ToolResult::Text("x"); }});
  }

  long long Metric(const std::string& name) { return testing::ScrapeMetric(port_, name); }
  // `name`'s value once it equals `want`, or its last value when it does not
  // within `timeout` (a bounded wait for what happens on the I/O thread).
  long long AwaitMetric(const std::string& name, long long want, std::chrono::milliseconds timeout = kWait) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    long long v = Metric(name);
    while (v != want && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(2ms);
      v = Metric(name);
    }
    return v;
  }
  engine::Engine& Engine() { return engine::ServerAccess::EngineOf(*server_); }

  std::unique_ptr<Server> server_;
  std::unique_ptr<HttpTransport> http_;
  unsigned short port_ = 0;
  int tools_ = 0;
};

// --- The acknowledgement ----------------------------------------------------------

TEST_F(ListenTest, FirstEventIsTheAcknowledgementTaggedWithAStringId) {
  Start();
  std::optional<json::value> ack;
  auto s = Open("listen-1",
                {{"toolsListChanged", true},
                 {"promptsListChanged", false},
                 {"resourcesListChanged", true},
                 {"resourceSubscriptions", json::array{kUriA, kUriB}},
                 {"somethingElseChanged", true}},
                "t", &ack);
  EXPECT_EQ(s->status(), 200);
  EXPECT_EQ(s->header("content-type"), "text/event-stream");
  EXPECT_EQ(s->header("mcp-session-id"), "");
  // What is honoured: the kinds asked for and known, and the URIs.
  EXPECT_TRUE(IsTagged(ack, "notifications/subscriptions/acknowledged", "listen-1",
                       {{"notifications",
                         {{"toolsListChanged", true},
                          {"resourcesListChanged", true},
                          {"resourceSubscriptions", json::array{kUriA, kUriB}}}}}));
  ASSERT_TRUE(ack);
  EXPECT_TRUE(ack->at("params").at("_meta").at(kSubscriptionId).is_string());
  EXPECT_EQ(ack->at("jsonrpc"), "2.0");
  EXPECT_EQ(server_->session_count(), 0u);
  EXPECT_EQ(Metric("mcpx_listen_streams"), 1);
  EXPECT_EQ(Metric("mcpx_subscribers"), 1);
}

TEST_F(ListenTest, FirstEventIsTheAcknowledgementTaggedWithAnIntegerId) {
  Start();
  std::optional<json::value> ack;
  auto s = Open(42, {{"promptsListChanged", true}}, "t", &ack);
  EXPECT_TRUE(IsTagged(ack, "notifications/subscriptions/acknowledged", 42,
                       {{"notifications", {{"promptsListChanged", true}}}}));
  ASSERT_TRUE(ack);
  EXPECT_TRUE(ack->at("params").at("_meta").at(kSubscriptionId).is_int64());

  // Nothing asked for: an empty filter honoured, and no subscriber.
  std::optional<json::value> empty_ack;
  auto none = Open(43, json::object(), "t", &empty_ack);
  EXPECT_TRUE(IsTagged(empty_ack, "notifications/subscriptions/acknowledged", 43,
                       {{"notifications", json::object()}}));
  EXPECT_EQ(Metric("mcpx_listen_streams"), 2);
  EXPECT_EQ(Metric("mcpx_subscribers"), 1);
}

// --- Delivery ---------------------------------------------------------------------

TEST_F(ListenTest, ResourceUpdateReachesOnlyTheStreamsSubscribedToItsUri) {
  Start();
  auto a = Open("A", {{"resourceSubscriptions", json::array{kUriA}}});
  auto b = Open("B", {{"resourceSubscriptions", json::array{kUriB}}});

  server_->NotifyResourceUpdated(kUriA);
  EXPECT_TRUE(IsTagged(a->Next(), "notifications/resources/updated", "A", Updated(kUriA)));
  server_->NotifyResourceUpdated(kUriB);
  // B's first event after its acknowledgement is its own URI's update: the
  // update of mem://a never reached it.
  EXPECT_TRUE(IsTagged(b->Next(), "notifications/resources/updated", "B", Updated(kUriB)));
  server_->NotifyResourceUpdated("mem://nobody");
  server_->NotifyResourceUpdated(kUriA);
  EXPECT_TRUE(IsTagged(a->Next(), "notifications/resources/updated", "A", Updated(kUriA)));
  EXPECT_EQ(a->pending(), 0u);
  EXPECT_EQ(b->pending(), 0u);
  EXPECT_EQ(AwaitMetric("mcpx_notifications_delivered_total", 3), 3);  // counted on the delivering worker
}

TEST_F(ListenTest, ToolsListChangedReachesOnlyTheStreamsThatAskedForIt) {
  Start();
  auto tools = Open("tools", {{"toolsListChanged", true}});
  auto prompts = Open("prompts", {{"promptsListChanged", true}, {"resourceSubscriptions", json::array{kUriA}}});
  auto declined = Open("declined", {{"toolsListChanged", false}, {"resourceSubscriptions", json::array{kUriA}}});

  AddSomeTool();
  EXPECT_TRUE(IsTagged(tools->Next(), "notifications/tools/list_changed", "tools"));
  // The others' next events are the update sent after it: no list change
  // came before.
  server_->NotifyResourceUpdated(kUriA);
  EXPECT_TRUE(IsTagged(prompts->Next(), "notifications/resources/updated", "prompts", Updated(kUriA)));
  EXPECT_TRUE(IsTagged(declined->Next(), "notifications/resources/updated", "declined", Updated(kUriA)));

  // Removing a tool is a list change too; a prompt change only for prompts.
  ASSERT_TRUE(server_->RemoveTool("tool1"));
  EXPECT_TRUE(IsTagged(tools->Next(), "notifications/tools/list_changed", "tools"));
  server_->AddPrompt({.name = "p", .handler = [](Context&, const json::object&) { return PromptResult{}; }});
  EXPECT_TRUE(IsTagged(prompts->Next(), "notifications/prompts/list_changed", "prompts"));
  server_->NotifyResourceUpdated(kUriA);
  EXPECT_TRUE(IsTagged(declined->Next(), "notifications/resources/updated", "declined", Updated(kUriA)));
  AddSomeTool();
  EXPECT_TRUE(IsTagged(tools->Next(), "notifications/tools/list_changed", "tools"));
  EXPECT_EQ(tools->pending(), 0u);
}

TEST_F(ListenTest, ASessionSubscriberAndAListenStreamEachGetOneUpdateInTheirRevisionsShape) {
  Start();
  HttpClient c(port_);
  const std::string sid = testing::InitializeSession(c);
  const HttpResponse sub = c.Request(
      "POST", "/mcp",
      R"({"jsonrpc":"2.0","id":2,"method":"resources/subscribe","params":{"uri":")" + std::string(kUriA) + R"("}})",
      testing::McpHeaders(sid));
  ASSERT_EQ(sub.status, 200) << sub.body;
  EXPECT_EQ(sub.json().at("result"), json::value(json::object()));
  // The session's standalone stream, attached before anything is published.
  StreamClient get(port_);
  auto get_headers = testing::McpHeaders(sid);
  get_headers["Accept"] = "text/event-stream";
  get.Send(HttpClient::Build("GET", "/mcp", "", get_headers));
  ASSERT_TRUE(get.WaitHead());
  ASSERT_EQ(get.status(), 200);
  auto listen = Open(7, {{"resourceSubscriptions", json::array{kUriA}}, {"toolsListChanged", true}});
  EXPECT_EQ(Metric("mcpx_subscribers"), 2);

  server_->NotifyResourceUpdated(kUriA);
  // The session's: the notification as 2025-11-25 has it, no _meta.
  const std::optional<json::value> legacy = get.Next();
  ASSERT_TRUE(legacy);
  EXPECT_EQ(*legacy, json::parse(R"({"jsonrpc":"2.0","method":"notifications/resources/updated",)"
                                 R"("params":{"uri":"mem://a"}})"));
  EXPECT_TRUE(IsTagged(listen->Next(), "notifications/resources/updated", 7, Updated(kUriA)));

  // One each: the next event on both is the list change sent after it.
  AddSomeTool();
  EXPECT_EQ(Method(get.Next()), "notifications/tools/list_changed");
  EXPECT_TRUE(IsTagged(listen->Next(), "notifications/tools/list_changed", 7));
  EXPECT_EQ(AwaitMetric("mcpx_notifications_delivered_total", 3), 3);  // 2 updates, 1 listen list change
}

// --- The end of a stream ------------------------------------------------------------

TEST_F(ListenTest, AClosedStreamLeavesTheHubAndTheOthersGoOn) {
  Start();
  const long long listens = Metric("mcpx_listen_streams");
  const long long subscribers = Metric("mcpx_subscribers");
  const long long inflight = Metric("mcpx_requests_inflight");
  auto gone = Open("gone", {{"resourceSubscriptions", json::array{kUriA}}});
  auto stays = Open("stays", {{"resourceSubscriptions", json::array{kUriA}}});
  EXPECT_EQ(Metric("mcpx_listen_streams"), listens + 2);
  EXPECT_EQ(Metric("mcpx_subscribers"), subscribers + 2);
  EXPECT_EQ(Metric("mcpx_requests_inflight"), inflight + 2);  // a listen is a request in flight

  gone->Close();
  EXPECT_EQ(AwaitMetric("mcpx_listen_streams", listens + 1), listens + 1);
  EXPECT_EQ(AwaitMetric("mcpx_subscribers", subscribers + 1), subscribers + 1);
  EXPECT_EQ(AwaitMetric("mcpx_requests_inflight", inflight + 1), inflight + 1);

  const long long delivered = Metric("mcpx_notifications_delivered_total");
  server_->NotifyResourceUpdated(kUriA);
  EXPECT_TRUE(IsTagged(stays->Next(), "notifications/resources/updated", "stays", Updated(kUriA)));
  EXPECT_EQ(AwaitMetric("mcpx_notifications_delivered_total", delivered + 1), delivered + 1);  // not the closed one
  EXPECT_EQ(Metric("mcpx_notifications_dropped_total"), 0);                // it left; it was not dropped

  stays->Close();
  EXPECT_EQ(AwaitMetric("mcpx_listen_streams", listens), listens);
  EXPECT_EQ(AwaitMetric("mcpx_subscribers", subscribers), subscribers);
  EXPECT_EQ(AwaitMetric("mcpx_requests_inflight", inflight), inflight);
}

TEST_F(ListenTest, AStreamThatStopsReadingIsCutWhileAReadingOneGetsEveryUpdate) {
  Start({}, {.max_stream_backlog = 4});
  // Large events (the URI is in each), so that few fill the socket buffers.
  const std::string uri = "mem://big/" + std::string(32 << 10, 'x');
  auto reading = Open("reading", {{"resourceSubscriptions", json::array{uri}}});
  // Reads its acknowledgement, then never again.
  auto stalled = Open("stalled", {{"resourceSubscriptions", json::array{uri}}}, "t", nullptr, /*rcvbuf=*/1024);
  EXPECT_EQ(Metric("mcpx_listen_streams"), 2);
  EXPECT_EQ(Metric("mcpx_subscribers"), 2);

  // One update at a time, each read by the reading stream before the next
  // (its backlog stays under the bound); the stalled one's grows until it is
  // cut. Then a few more.
  constexpr int kMaxUpdates = 2000;
  constexpr int kAfterCut = 20;
  const observe::Metrics& metrics = Engine().metrics();
  int published = 0;
  int received = 0;
  int after_cut = -1;
  while (published < kMaxUpdates && after_cut < kAfterCut) {
    server_->NotifyResourceUpdated(uri);
    ++published;
    const std::optional<json::value> m = reading->Next();
    if (!IsTagged(m, "notifications/resources/updated", "reading", Updated(uri))) {
      ADD_FAILURE() << "update " << published << ": " << IsTagged(m, "notifications/resources/updated", "reading",
                                                                   Updated(uri)).message();
      break;
    }
    ++received;
    if (after_cut >= 0 || metrics.lag_disconnects.value() > 0) ++after_cut;
  }
  EXPECT_GE(after_cut, 0) << "the stalled stream was never cut in " << published << " updates";
  EXPECT_EQ(received, published);
  EXPECT_EQ(reading->pending(), 0u);
  EXPECT_GE(Metric("mcpx_lag_disconnects_total"), 1);
  // Its subscriber left the hub; the reading one's stays.
  EXPECT_EQ(AwaitMetric("mcpx_listen_streams", 1), 1);
  EXPECT_EQ(AwaitMetric("mcpx_subscribers", 1), 1);
  EXPECT_EQ(AwaitMetric("mcpx_requests_inflight", 1), 1);
  // Its connection was closed (what was in flight drains first), without
  // the end of the HTTP response.
  EXPECT_TRUE(stalled->ReadToEnd(10s));
  EXPECT_TRUE(stalled->closed());
  EXPECT_FALSE(stalled->ended());

  // The reading stream still gets what comes next.
  server_->NotifyResourceUpdated(uri);
  EXPECT_TRUE(IsTagged(reading->Next(), "notifications/resources/updated", "reading", Updated(uri)));
  std::printf("[ info ] stalled stream cut after %d of %d updates\n", published - after_cut, published);
}

// --- Authorization -------------------------------------------------------------------

TEST_F(ListenTest, TheNotifyFilterWithholdsUpdatesFromTheClientsItRejects) {
  struct Seen {
    Mutex mu;
    std::vector<ClientIdentity> who ABSL_GUARDED_BY(mu);
  };
  auto seen = std::make_shared<Seen>();
  Start({.notify_filter = [seen](const ClientIdentity& who, std::string_view) {
    {
      MutexLock lock(&seen->mu);
      seen->who.push_back(who);
    }
    const json::value* name = who.client_info.if_contains("name");
    return !(name && name->is_string() && name->get_string() == "mallory");
  }});
  std::optional<json::value> mallory_ack;
  auto mallory = Open("m", {{"resourceSubscriptions", json::array{kUriA}}, {"toolsListChanged", true}}, "mallory",
                      &mallory_ack);
  // Acknowledged as asked: the filter applies at each delivery.
  EXPECT_TRUE(IsTagged(mallory_ack, "notifications/subscriptions/acknowledged", "m",
                       {{"notifications", {{"toolsListChanged", true},
                                           {"resourceSubscriptions", json::array{kUriA}}}}}));
  auto alice = Open("a", {{"resourceSubscriptions", json::array{kUriA}}}, "alice");

  server_->NotifyResourceUpdated(kUriA);
  EXPECT_TRUE(IsTagged(alice->Next(), "notifications/resources/updated", "a", Updated(kUriA)));
  // Mallory's next event is the list change sent after the update: the
  // update never came.
  AddSomeTool();
  EXPECT_TRUE(IsTagged(mallory->Next(), "notifications/tools/list_changed", "m"));
  EXPECT_EQ(Metric("mcpx_notifications_filtered_total"), 1);
  // Withheld, not dropped: mallory is still subscribed.
  EXPECT_EQ(Metric("mcpx_subscribers"), 2);
  EXPECT_EQ(Metric("mcpx_notifications_dropped_total"), 0);

  // The filter saw both listen streams: no session, the clientInfo of _meta.
  MutexLock lock(&seen->mu);
  ASSERT_EQ(seen->who.size(), 2u);
  std::vector<std::string> names;
  for (const ClientIdentity& who : seen->who) {
    EXPECT_EQ(who.session_id, "");
    names.emplace_back(who.client_info.at("name").as_string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"alice", "mallory"}));
}

// --- Limits and shutdown ----------------------------------------------------------------

TEST_F(ListenTest, ListensPastMaxListenStreamsAreRefused) {
  Start({.max_listen_streams = 2});
  auto first = Open(1, {{"toolsListChanged", true}});
  auto second = Open(2, {{"toolsListChanged", true}});

  HttpClient c(port_);
  const HttpResponse third = c.Request("POST", "/mcp", ListenBody(3, {{"toolsListChanged", true}}), ListenHeaders());
  EXPECT_EQ(third.status, 200);
  EXPECT_EQ(third.header("content-type"), "application/json");
  const json::value body = third.json();
  EXPECT_EQ(body.at("id"), 3);
  EXPECT_EQ(body.at("error").at("code"), -32000) << third.body;
  EXPECT_EQ(Metric("mcpx_listen_streams"), 2);
  EXPECT_EQ(Metric("mcpx_subscribers"), 2);

  // The two open ones are unaffected; a closed one frees its place.
  AddSomeTool();
  EXPECT_TRUE(IsTagged(first->Next(), "notifications/tools/list_changed", 1));
  EXPECT_TRUE(IsTagged(second->Next(), "notifications/tools/list_changed", 2));
  first->Close();
  ASSERT_EQ(AwaitMetric("mcpx_listen_streams", 1), 1);
  std::optional<json::value> ack;
  auto fourth = Open(4, {{"toolsListChanged", true}}, "t", &ack);
  EXPECT_TRUE(IsTagged(ack, "notifications/subscriptions/acknowledged", 4,
                       {{"notifications", {{"toolsListChanged", true}}}}));
}

TEST_F(ListenTest, ListensPastTheLimitForOneClientAddressAreRefused) {
  Start({.max_listen_streams_per_client = 1});
  auto first = Open(1, {{"toolsListChanged", true}});
  HttpClient c(port_);
  const HttpResponse second = c.Request("POST", "/mcp", ListenBody(2, {{"toolsListChanged", true}}), ListenHeaders());
  EXPECT_EQ(second.json().at("error").at("code"), -32000) << second.body;
  EXPECT_EQ(Metric("mcpx_listen_streams"), 1);
  // Its place frees when it closes.
  first->Close();
  ASSERT_EQ(AwaitMetric("mcpx_listen_streams", 0), 0);
  std::optional<json::value> ack;
  auto third = Open(3, {{"toolsListChanged", true}}, "t", &ack);
  EXPECT_TRUE(IsTagged(ack, "notifications/subscriptions/acknowledged", 3,
                       {{"notifications", {{"toolsListChanged", true}}}}));
}

// A stream that delivered nothing for listen_idle_timeout is ended with its
// completion result; one that delivered meanwhile stays (injected clock).
TEST_F(ListenTest, AStreamIdlePastTheTimeoutEndsWithItsResultAndABusyOneStays) {
  std::atomic<std::int64_t> now{1'000'000};
  Start({.listen_idle_timeout = 1000ms});
  Engine().SetClockForTesting([&now] { return now.load(); });
  auto idle = Open("idle", {{"resourceSubscriptions", json::array{kUriA}}});
  auto busy = Open("busy", {{"resourceSubscriptions", json::array{kUriB}}});
  now += 600;
  server_->NotifyResourceUpdated(kUriB);
  EXPECT_EQ(Method(busy->Next()), "notifications/resources/updated");
  now += 600;  // idle: 1200 ms without a notification; busy: 600
  Engine().EndIdleListens();  // (the server's own sweep may run it too)
  const std::optional<json::value> last = idle->Next();
  ASSERT_TRUE(last);
  const json::value* result = Find(*last, "result");
  ASSERT_TRUE(result && result->is_object()) << json::serialize(*last);
  EXPECT_EQ(last->at("id"), "idle");
  EXPECT_EQ(result->at("_meta").at(kSubscriptionId), "idle");
  EXPECT_EQ(AwaitMetric("mcpx_listen_streams", 1), 1);
  EXPECT_GE(Metric("mcpx_listen_idle_ended_total"), 1);
  server_->NotifyResourceUpdated(kUriB);  // the busy one still listens
  EXPECT_EQ(Method(busy->Next()), "notifications/resources/updated");
}

TEST_F(ListenTest, ShutdownEndsAListenStreamWithItsCompletionResult) {
  Start();
  auto by_string = Open("bye", {{"resourceSubscriptions", json::array{kUriA}}});
  auto by_number = Open(9, {{"toolsListChanged", true}});
  http_->Close();  // the listener first, as Server::Shutdown asks
  std::thread shutdown([this] { server_->Shutdown(2s); });

  for (auto [stream, id] : {std::pair{by_string.get(), json::value("bye")}, std::pair{by_number.get(), json::value(9)}}) {
    SCOPED_TRACE(json::serialize(id));
    const std::optional<json::value> last = stream->Next();
    ASSERT_TRUE(last);
    // {"jsonrpc":"2.0","id":<id>,"result":{"resultType":"complete",
    //  "_meta":{"io.modelcontextprotocol/subscriptionId":<id>, ...}}}
    const json::value* result = Find(*last, "result");
    ASSERT_TRUE(result && result->is_object()) << json::serialize(*last);
    EXPECT_EQ(last->at("jsonrpc"), "2.0");
    EXPECT_EQ(last->at("id"), id);
    EXPECT_EQ(last->as_object().size(), 3u) << json::serialize(*last);
    EXPECT_EQ(result->at("resultType"), "complete");
    const json::value* meta = Find(*result, "_meta");
    ASSERT_TRUE(meta && meta->is_object()) << json::serialize(*last);
    EXPECT_EQ(meta->at(kSubscriptionId), id);
    // Nothing else in it (other _meta keys, such as serverInfo, may be).
    EXPECT_EQ(result->as_object().size(), 2u) << json::serialize(*last);
  }
  shutdown.join();
  EXPECT_EQ(Engine().metrics().listen_streams.value(), 0);
  EXPECT_EQ(Engine().metrics().subscribers.value(), 0);
  EXPECT_EQ(Engine().metrics().requests_inflight.value(), 0);
  // Nothing follows the result: each response ends. Usually with its last
  // chunk before Shutdown returns; but the drain may stop the I/O threads
  // before that chunk is written, and then the connection stays open until
  // the Server is destroyed (so the end is awaited only after that).
  http_.reset();
  server_.reset();
  for (StreamClient* stream : {by_string.get(), by_number.get()}) {
    EXPECT_TRUE(stream->ReadToEnd());
    EXPECT_EQ(stream->pending(), 0u);
  }
}

}  // namespace
}  // namespace mcpx
