// F1 fan-out driver (bench/f1.sh): opens S subscriber streams on one MCP
// server, half 2025-11-25 (initialize, initialized, resources/subscribe, then
// the standalone GET SSE stream), half 2026-07-28 (a subscriptions/listen POST
// whose SSE answer opens with notifications/subscriptions/acknowledged), all
// on uri U; reads the server's VmRSS before and after; triggers ONE update
// and times, on CLOCK_MONOTONIC, its arrival on every stream: stamped right
// after the read() that brought it, in one epoll loop on one thread.
// Set-up uses --conc threads with blocking sockets (hand-written HTTP/1.1).
//
// Usage: f1-driver --port P --streams S [--pid PID] [--uri bench://watched]
//   [--trigger tool|wait] [--conc 64] [--warmup 100] [--legacy-share 0.5]
// tool: a 2026-07-28 stateless tools/call touch_resource {uri}; times count
//   from just before it is written. After that round, a second one with the
//   streams unread until the server is done (reply + 1 s): the driver's own
//   time to take in S queued arrivals ("driver floor").
// wait: no request; the server's own next update (mcpx-conformance-server's
//   test://watched-resource, every 3 s); times count from the first arrival.
// Prints one JSON object on stdout (bench/f1/report.mjs renders it).
// Build: c++ -std=c++20 -O2 -pthread bench/f1/driver.cc -o f1-driver
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {
using std::string;
std::map<string, string> opt = {{"port", "0"},  {"streams", "1000"}, {"pid", "0"},    {"uri", "bench://watched"},
                                {"trigger", "tool"}, {"conc", "64"}, {"warmup", "100"}, {"legacy-share", "0.5"}};
std::atomic<long> next_id{1};
const string kMeta = R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}})";

double Now() { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
double CpuMs() { rusage u{}; getrusage(RUSAGE_SELF, &u); return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3; }
long RssKb() {  // the server's; -1 without --pid
  if (opt["pid"] == "0") return -1;
  std::ifstream f("/proc/" + opt["pid"] + "/status");
  for (string l; std::getline(f, l);) if (l.rfind("VmRSS:", 0) == 0) return std::stol(l.substr(6));
  return -1;
}
string Json(const string& m) {  // a JSON string
  string e = "\"";
  for (char c : m) e += c == '"' || c == '\\' ? string("\\") + c : string(1, c == '\n' || c == '\r' ? ' ' : c);
  return e + "\"";
}
string Header(const string& head, const string& name) {  // name in lower case
  string h = head;
  const string key = "\r\n" + name + ":";
  for (auto& c : h) c = static_cast<char>(std::tolower(c));
  const auto p = h.find(key);
  if (p == string::npos) return "";
  const auto b = head.find_first_not_of(' ', p + key.size()), e = head.find("\r\n", p + 2);
  return head.substr(b, e - b);
}

// Chunked transfer decoding, fed in pieces; Feed returns true at the last chunk.
struct Dechunk {
  string raw;
  size_t need = 0;
  int state = 0;  // 0 size line, 1 data, 2 CRLF after data, 3 CRLF after the last chunk
  bool Feed(std::string_view in, string& out) {
    raw.append(in);
    size_t p = 0;
    for (;;) {
      if (state == 0) {
        const auto e = raw.find("\r\n", p);
        if (e == string::npos) break;
        need = std::strtoul(raw.c_str() + p, nullptr, 16), p = e + 2, state = need ? 1 : 3;
      } else if (state == 1) {
        const size_t k = std::min(need, raw.size() - p);
        out.append(raw, p, k), p += k, need -= k;
        if (need) break;
        state = 2;
      } else {
        if (raw.size() - p < 2) break;
        p += 2;
        if (state == 3) { raw.erase(0, p), state = 0; return true; }
        state = 0;
      }
    }
    raw.erase(0, p);
    return false;
  }
};

int Connect() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET, a.sin_port = htons(static_cast<uint16_t>(std::stoi(opt["port"])));
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) { close(fd); throw std::runtime_error(string("connect: ") + strerror(errno)); }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{.tv_sec = 30, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}
void Fill(int fd, string& buf) {
  char b[16384];
  const ssize_t n = read(fd, b, sizeof b);
  if (n <= 0) throw std::runtime_error(n == 0 ? "connection closed" : "read timed out");
  buf.append(b, static_cast<size_t>(n));
}
void Send(int fd, const string& method, const string& headers, const string& body) {
  string r = method + " /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + opt["port"] + "\r\n" + headers;
  if (!body.empty()) r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  r += "\r\n" + body;
  for (size_t o = 0; o < r.size();) {
    const ssize_t n = write(fd, r.data() + o, r.size() - o);
    if (n <= 0) throw std::runtime_error("write failed");
    o += static_cast<size_t>(n);
  }
}
struct Resp { int status = 0; string head, body; bool sse = false, chunked = false; };
// One response on a blocking socket; with stream, a 200 event-stream answer
// returns at its headers (later bytes stay in buf).
Resp Read(int fd, string& buf, bool stream = false) {
  Resp r;
  size_t e;
  while ((e = buf.find("\r\n\r\n")) == string::npos) Fill(fd, buf);
  r.head = buf.substr(0, e), buf.erase(0, e + 4);
  r.status = std::atoi(r.head.c_str() + 9);
  r.sse = Header(r.head, "content-type").find("event-stream") != string::npos;
  r.chunked = Header(r.head, "transfer-encoding").find("chunked") != string::npos;
  if (stream && r.status == 200 && r.sse) return r;
  if (r.chunked) {
    Dechunk d;
    while (!d.Feed(std::exchange(buf, ""), r.body)) Fill(fd, buf);
    buf = d.raw;
  } else {
    const string cl = Header(r.head, "content-length");
    const size_t n = cl.empty() ? 0 : std::stoul(cl);
    while (buf.size() < n) Fill(fd, buf);
    r.body = buf.substr(0, n), buf.erase(0, n);
  }
  return r;
}
std::runtime_error Refused(const string& what, const Resp& r) {
  return std::runtime_error(what + ": HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 120));
}

struct Stream {
  int fd = -1;
  bool v26 = false, held = false, closed = false, chunked = false;
  long id = 0;
  string sid, text;  // text: the decoded stream since the last trigger
  Dechunk dc;
  int round = -1;
  void Take(std::string_view bytes) { if (chunked) dc.Feed(bytes, text); else text.append(bytes); }
};
const string kPost = "Accept: application/json, text/event-stream\r\n";
string H26(const string& method) { return kPost + "MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: " + method + "\r\n"; }

void Open2025(Stream& s) {
  string buf;
  s.fd = Connect();
  Send(s.fd, "POST", kPost, R"({"jsonrpc":"2.0","id":)" + std::to_string(next_id++) +
       R"(,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"f1-driver","version":"1"}}})");
  Resp r = Read(s.fd, buf);
  s.sid = Header(r.head, "mcp-session-id");
  if (r.status != 200 || s.sid.empty()) throw Refused("initialize", r);
  const string h = kPost + "Mcp-Session-Id: " + s.sid + "\r\nMCP-Protocol-Version: 2025-11-25\r\n";
  Send(s.fd, "POST", h, R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  if (r = Read(s.fd, buf); r.status != 202 && r.status != 200) throw Refused("notifications/initialized", r);
  Send(s.fd, "POST", h, R"({"jsonrpc":"2.0","id":)" + std::to_string(next_id++) + R"(,"method":"resources/subscribe","params":{"uri":")" + opt["uri"] + "\"}}");
  if (r = Read(s.fd, buf); r.status != 200 || r.body.find("\"result\"") == string::npos) throw Refused("resources/subscribe", r);
  Send(s.fd, "GET", "Accept: text/event-stream\r\nMcp-Session-Id: " + s.sid + "\r\nMCP-Protocol-Version: 2025-11-25\r\n", "");
  if (r = Read(s.fd, buf, true); !r.sse || r.status != 200) throw Refused("GET", r);
  s.chunked = r.chunked, s.Take(buf);
}

void Open2026(Stream& s) {
  string buf;
  s.v26 = true, s.id = next_id++, s.fd = Connect();
  Send(s.fd, "POST", H26("subscriptions/listen"), R"({"jsonrpc":"2.0","id":)" + std::to_string(s.id) +
       R"(,"method":"subscriptions/listen","params":{)" + kMeta + R"(,"notifications":{"resourceSubscriptions":[")" + opt["uri"] + "\"]}}}");
  const Resp r = Read(s.fd, buf, true);
  if (!r.sse || r.status != 200) throw Refused("subscriptions/listen", r);
  s.chunked = r.chunked, s.Take(std::exchange(buf, ""));
  while (s.text.find("subscriptions/acknowledged") == string::npos) {
    if (const auto e = s.text.find("\"error\""); e != string::npos) throw std::runtime_error("listen: " + s.text.substr(e, 100));
    Fill(s.fd, buf), s.Take(std::exchange(buf, ""));
  }
  if (s.text.find(opt["uri"]) == string::npos) throw std::runtime_error("listen: ack without the uri");
}

std::mutex mu;
std::map<string, int> failures;
// Opens n streams (the first n25 of them 2025) with --conc threads.
std::vector<Stream*> OpenAll(int n, int n25) {
  std::vector<Stream*> out(static_cast<size_t>(n));
  std::atomic<int> i{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < std::min(n, std::stoi(opt["conc"])); ++t) threads.emplace_back([&] {
    for (int k; (k = i++) < n;) {
      auto* s = out[static_cast<size_t>(k)] = new Stream;
      try {
        k < n25 ? Open2025(*s) : Open2026(*s);
        s->held = true;
      } catch (const std::exception& e) {
        if (s->fd >= 0 && s->sid.empty()) close(s->fd), s->fd = -1;
        std::lock_guard l(mu);
        failures[std::regex_replace(e.what(), std::regex(R"("id":\d+)"), R"("id":N)")]++;
      }
    }
  });
  for (auto& t : threads) t.join();
  return out;
}

int ep = -1, trig = -1;
string trig_buf;
size_t Holding(const std::vector<Stream*>& v) { return std::count_if(v.begin(), v.end(), [](auto* s) { return s->held && !s->closed; }); }
void Watch(const std::vector<Stream*>& v) {
  for (auto* s : v) if (s->held) { epoll_event e{.events = EPOLLIN, .data = {.ptr = s}}; epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &e); }
}

// One update through the held streams; a JSON object of its figures.
string Fire(const std::vector<Stream*>& v, int no, bool paused = false) {
  const long target = static_cast<long>(Holding(v));
  for (auto* s : v) s->text.clear();
  std::vector<double> times;
  long n25 = 0, bad = 0;
  double t0 = -1, reply = -1, cpu0 = CpuMs();
  string error;
  const bool tool = opt["trigger"] == "tool";
  auto take_reply = [&] {  // the trigger's answer, read whole (it is small)
    try {
      const Resp r = Read(trig, trig_buf);
      reply = Now() - t0;
      if (r.status != 200 || r.body.find("\"result\"") == string::npos || r.body.find("\"isError\":true") != string::npos)
        error = "tools/call touch_resource: HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 120);
    } catch (const std::exception& e) { error = string("tools/call touch_resource: ") + e.what(); }
  };
  if (tool) {
    t0 = Now();
    Send(trig, "POST", H26("tools/call") + "Mcp-Name: touch_resource\r\n", R"({"jsonrpc":"2.0","id":)" + std::to_string(next_id++) +
         R"(,"method":"tools/call","params":{"name":"touch_resource","arguments":{"uri":")" + opt["uri"] + "\"}," + kMeta + "}}");
    if (paused) {
      take_reply();
      std::this_thread::sleep_for(std::chrono::seconds(1));
      t0 = Now(), cpu0 = CpuMs();
    } else {
      epoll_event e{.events = EPOLLIN, .data = {.ptr = nullptr}};
      epoll_ctl(ep, EPOLL_CTL_ADD, trig, &e);
    }
  }
  const double start = Now();
  char buf[16384];
  epoll_event evs[1024];
  while (static_cast<long>(times.size()) < target && error.empty()) {
    const double left = t0 < 0 ? start + 8000 - Now() : t0 + 5000 - Now();
    if (left <= 0) break;
    const int k = epoll_wait(ep, evs, 1024, static_cast<int>(std::ceil(left)));
    for (int j = 0; j < k; ++j) {
      auto* s = static_cast<Stream*>(evs[j].data.ptr);
      if (!s) { epoll_ctl(ep, EPOLL_CTL_DEL, trig, nullptr), take_reply(); continue; }
      const ssize_t n = recv(s->fd, buf, sizeof buf, MSG_DONTWAIT);
      const double t = Now();
      if (n == 0 || (n < 0 && errno != EAGAIN)) { s->closed = true, epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, nullptr); continue; }
      if (n < 0) continue;
      s->Take({buf, static_cast<size_t>(n)});  // always, so the chunk decoding stays in step
      if (s->round == no) continue;
      const auto p = s->text.find("notifications/resources/updated");
      if (p == string::npos || (s->text.find("\n\n", p) == string::npos && s->text.find("\r\n\r\n", p) == string::npos) ||
          s->text.find(opt["uri"], p) == string::npos) continue;  // not (yet) a whole update event
      if (t0 < 0) t0 = t, cpu0 = CpuMs();
      s->round = no, times.push_back(t - t0), n25 += !s->v26;
      const string key = "\"io.modelcontextprotocol/subscriptionId\":" + std::to_string(s->id);
      const auto q = s->text.find(key, p);
      if (s->v26 && (q == string::npos || std::isdigit(static_cast<unsigned char>(s->text[q + key.size()])))) ++bad;
    }
  }
  if (tool && !paused && reply < 0 && error.empty()) epoll_ctl(ep, EPOLL_CTL_DEL, trig, nullptr), take_reply();
  const double cpu = CpuMs() - cpu0;
  std::sort(times.begin(), times.end());
  auto pct = [&](double q) {
    if (times.empty()) return string("null");
    char b[32];
    snprintf(b, sizeof b, "%.2f", times[std::min(times.size() - 1, static_cast<size_t>(std::ceil(q / 100 * times.size())) - 1)]);
    return string(b);
  };
  char out[1024];
  snprintf(out, sizeof out, R"("target":%ld,"delivered":%zu,"delivered_2025":%ld,"delivered_2026":%ld,"delivered_5s":%ld,"first_ms":%s,"p50_ms":%s,"p99_ms":%s,"last_ms":%s,"trigger_reply_ms":%s,"trigger_error":%s,"bad_subscription_id":%ld,"driver_cpu_ms":%.1f)",
           target, times.size(), n25, static_cast<long>(times.size()) - n25, static_cast<long>(std::count_if(times.begin(), times.end(), [](double x) { return x <= 5000; })),
           pct(0.0001).c_str(), pct(50).c_str(), pct(99).c_str(), pct(100).c_str(), reply < 0 ? "null" : std::to_string(std::lround(reply * 100) / 100.0).c_str(),
           error.empty() ? "null" : Json(error).c_str(), bad, cpu);
  return out;
}

void CloseAll(const std::vector<Stream*>& v) {  // ends the streams, DELETEs the 2025 sessions
  string buf;
  const int fd = Connect();
  for (auto* s : v) {
    if (s->fd >= 0) close(s->fd);
    if (s->sid.empty()) continue;
    try {
      Send(fd, "DELETE", "Mcp-Session-Id: " + s->sid + "\r\nMCP-Protocol-Version: 2025-11-25\r\n", "");
      Read(fd, buf);
    } catch (const std::exception&) {}
  }
  close(fd);
}
string Failures() {
  string f;
  for (auto& [m, n] : failures) f += (f.empty() ? "" : ",") + Json(m) + ":" + std::to_string(n);
  failures.clear();
  return "{" + f + "}";
}
string Kib(long a, long b, size_t n) { return a < 0 || n == 0 ? "null" : std::to_string(static_cast<double>(b - a) / static_cast<double>(n)); }
}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const string k = string(argv[i]).substr(2);
    if (!opt.count(k)) { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
    opt[k] = argv[i + 1];
  }
  const int S = std::stoi(opt["streams"]);
  const double share = std::stod(opt["legacy-share"]);
  const int n25 = static_cast<int>(std::lround(S * share)), W = std::min(std::stoi(opt["warmup"]), S / 10);
  ep = epoll_create1(0), trig = Connect();
  string out = R"({"streams":)" + std::to_string(S) + R"(,"trigger":")" + opt["trigger"] + R"(","uri":")" + opt["uri"] + "\"";
  if (W > 0) {  // warm-up: a few streams of each kind take one update, then close
    auto warm = OpenAll(W, static_cast<int>(std::lround(W * share)));
    Watch(warm);
    out += R"(,"warmup":{"held":)" + std::to_string(Holding(warm)) + (opt["trigger"] == "tool" ? "," + Fire(warm, 0) : "") + R"(,"failures":)" + Failures() + "}";
    CloseAll(warm);
    fprintf(stderr, "[f1] warm-up done\n");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const long base = RssKb();
  const double t0 = Now();
  auto a = OpenAll(n25, n25);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const long mid = RssKb();
  const size_t h25 = Holding(a);
  fprintf(stderr, "[f1] 2025-11-25 streams held: %zu/%d\n", h25, n25);
  auto b = OpenAll(S - n25, 0);
  const double setup = (Now() - t0) / 1000;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const long after = RssKb();
  const size_t h26 = Holding(b);
  fprintf(stderr, "[f1] 2026-07-28 streams held: %zu/%d; set-up %.1f s\n", h26, S - n25, setup);
  a.insert(a.end(), b.begin(), b.end());
  Watch(a);
  char f[512];
  snprintf(f, sizeof f, R"(,"setup_s":%.1f,"held":%zu,"held_2025":%zu,"held_2026":%zu,"rss_kb":{"base":%ld,"after_2025":%ld,"after":%ld},"kib_per_stream":%s,"kib_per_2025":%s,"kib_per_2026":%s)",
           setup, h25 + h26, h25, h26, base, mid, after, Kib(base, after, h25 + h26).c_str(), Kib(base, mid, h25).c_str(), Kib(mid, after, h26).c_str());
  const string main_round = Fire(a, 1);
  out += f + string(R"(,"failures":)") + Failures() + "," + main_round;
  if (opt["trigger"] == "tool" && main_round.find("\"delivered\":0,") == string::npos) out += R"(,"driver_floor":{)" + Fire(a, 2, true) + "}";
  out += R"(,"held_at_end":)" + std::to_string(Holding(a)) + "}";
  puts(out.c_str());
  return 0;
}
