// The kernel floor for F1 on this machine (bench/f1.sh's "C write loop" row):
// a forked child accepts S loopback TCP connections and, on a signal, writes
// one 200-byte SSE frame to each from one thread, as a server's single I/O
// thread would with nothing else to do; the parent reads them in one epoll
// loop, as bench/f1/driver.cc does, and prints the same figures as its JSON.
// Run in the same go as the servers, it tells a slow server from a slow box.
// Usage: f1-null-fanout S
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

static double Now() { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  socklen_t len = sizeof a;
  if (bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a) || listen(ls, 4096) || getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len)) return perror("listen"), 1;
  int go[2], ready[2];
  if (pipe(go) || pipe(ready)) return perror("pipe"), 1;
  const pid_t child = fork();
  if (child == 0) {  // the writer
    close(go[1]), close(ready[0]);
    std::vector<int> fds;
    for (int i = 0; i < n; ++i) {
      fds.push_back(accept(ls, nullptr, nullptr));
      setsockopt(fds.back(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    char c;
    if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1) _exit(1);
    std::string frame = "c8\r\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/updated\",\"params\":{\"uri\":\"bench://watched\"}}";
    frame.resize(4 + 198, ' '), frame += "\n\n\r\n";
    for (const int fd : fds) if (write(fd, frame.data(), frame.size()) < 0) _exit(1);
    while (read(go[0], &c, 1) > 0) {}  // until the parent is done
    _exit(0);
  }
  close(go[0]), close(ready[1]), close(ls);
  const int ep = epoll_create1(0);
  for (int i = 0; i < n; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a)) return perror("connect"), 1;
    epoll_event e{.events = EPOLLIN, .data = {.fd = fd}};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
  }
  char c, buf[4096];
  if (read(ready[0], &c, 1) != 1) return 1;
  std::vector<double> times;
  epoll_event evs[1024];
  const double t0 = Now();
  if (write(go[1], "g", 1) != 1) return 1;
  while (static_cast<int>(times.size()) < n && Now() < t0 + 5000) {
    const int k = epoll_wait(ep, evs, 1024, 100);
    for (int j = 0; j < k; ++j) {
      if (recv(evs[j].data.fd, buf, sizeof buf, MSG_DONTWAIT) <= 0) continue;
      times.push_back(Now() - t0);
      epoll_ctl(ep, EPOLL_CTL_DEL, evs[j].data.fd, nullptr);  // one frame each
    }
  }
  close(go[1]);
  waitpid(child, nullptr, 0);
  std::sort(times.begin(), times.end());
  auto pct = [&](double q) { return times.empty() ? NAN : times[std::min(times.size() - 1, static_cast<size_t>(std::ceil(q / 100 * times.size())) - 1)]; };
  printf(R"({"kind":"null","streams":%d,"held":%d,"target":%d,"delivered":%zu,"delivered_5s":%zu,"first_ms":%.2f,"p50_ms":%.2f,"p99_ms":%.2f,"last_ms":%.2f})"
         "\n", n, n, n, times.size(), times.size(), pct(0.0001), pct(50), pct(99), pct(100));
  return 0;
}
