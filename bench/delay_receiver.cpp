// An HTTP/1.1 receiver that answers every request 200 exactly DELAY_MS
// after it has read the whole of it, on keep-alive connections, thousands
// at once, on one thread (epoll): the "many slow endpoints" of issue 15
// (bench/slow_hooks.sh). slow_receiver.py does it in asyncio, but at 4,096
// connections and 1 s (wrk, 2026-11-30, load 4) it answered up to 0.24 s
// late at 25 µs of CPU per request; this one, up to 0.02 s late at 7 µs.
//
//   delay_receiver DELAY_MS [PORT]      PORT 0 (the default) picks a free one
//
// Prints "listening on http://127.0.0.1:PORT" once it listens. SIGUSR1
// prints its counters as one line of key=value; SIGTERM or SIGINT prints
// them and exits. late_ms_* says how far after its due time an answer was
// written: the receiver keeping up shows as a small max.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::size_t kMaxHead = 64 * 1024;
constexpr std::string_view kAnswer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

std::int64_t now_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return std::int64_t{t.tv_sec} * 1000000000 + t.tv_nsec;
}

void die(const char* what) {
  std::fprintf(stderr, "delay_receiver: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

struct Connection {
  std::string in;            ///< bytes read and not yet part of a whole request
  std::string out;           ///< answer bytes not yet written
  std::uint64_t generation;  ///< tells a due answer whether this is still its connection
  bool waiting = false;      ///< a request has been read; its answer is not yet due
  bool close_after = false;  ///< the request asked for it (or was HTTP/1.0)
  bool writing = false;      ///< EPOLLOUT is armed
};

struct Due {
  std::int64_t at_ns;
  int fd;
  std::uint64_t generation;
};

struct Counters {
  std::uint64_t connections = 0, open = 0, peak_open = 0;
  std::uint64_t requests = 0, answered = 0, abandoned = 0, refused = 0;
  double late_ms_sum = 0, late_ms_max = 0;
};

// What a request's head says about its body and the connection. A head it
// cannot serve (a chunked body) has ok = false.
struct Head {
  bool ok = true;
  std::size_t body_bytes = 0;
  bool close_after = false;
};

Head read_head(std::string_view head) {
  Head h;
  const std::size_t line_end = head.find("\r\n");
  const std::string_view request_line = head.substr(0, line_end);
  h.close_after = request_line.size() >= 8 && request_line.substr(request_line.size() - 8) == "HTTP/1.0";
  std::size_t at = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (at < head.size()) {
    std::size_t end = head.find("\r\n", at);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view line = head.substr(at, end - at);
    at = end + 2;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    if (equals_ignoring_case(name, "content-length")) {
      h.body_bytes = static_cast<std::size_t>(std::strtoull(std::string(value).c_str(), nullptr, 10));
    } else if (equals_ignoring_case(name, "transfer-encoding")) {
      h.ok = false;
    } else if (equals_ignoring_case(name, "connection")) {
      if (equals_ignoring_case(value.substr(0, 5), "close")) h.close_after = true;
      if (equals_ignoring_case(value.substr(0, 10), "keep-alive")) h.close_after = false;
    }
  }
  return h;
}

class Receiver {
 public:
  Receiver(std::int64_t delay_ns, int port) : delay_ns_(delay_ns) {
    raise_descriptor_limit();
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) die("epoll_create1");
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listener_ < 0) die("socket");
    const int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("bind");
    // The backlog is capped by net.core.somaxconn (4,096 on Debian 12): a
    // worker opening thousands of connections at once must not see resets.
    if (listen(listener_, 65535) != 0) die("listen");
    socklen_t length = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    watch(listener_, EPOLLIN);

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGUSR1);
    sigprocmask(SIG_BLOCK, &signals, nullptr);
    signals_ = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signals_ < 0) die("signalfd");
    watch(signals_, EPOLLIN);
  }

  int port() const { return port_; }

  void run() {
    std::vector<epoll_event> events(1024);
    while (!stopping_) {
      int timeout_ms = -1;
      if (!due_.empty()) {
        // Rounded up: woken a little late rather than spinning early.
        const std::int64_t left = due_.front().at_ns - now_ns();
        timeout_ms = left <= 0 ? 0 : static_cast<int>((left + 999999) / 1000000);
      }
      const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout_ms);
      if (n < 0 && errno != EINTR) die("epoll_wait");
      for (int i = 0; i < n; ++i) {
        const int fd = events[static_cast<std::size_t>(i)].data.fd;
        const std::uint32_t what = events[static_cast<std::size_t>(i)].events;
        if (fd == listener_) {
          accept_all();
        } else if (fd == signals_) {
          on_signal();
        } else {
          on_ready(fd, what);
        }
      }
      answer_due();
    }
    report();
  }

 private:
  static void raise_descriptor_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
      limit.rlim_cur = limit.rlim_max;
      setrlimit(RLIMIT_NOFILE, &limit);
    }
  }

  void watch(int fd, std::uint32_t events) {
    epoll_event e{};
    e.events = events;
    e.data.fd = fd;
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &e) != 0) die("epoll_ctl");
  }

  void rewatch(int fd, std::uint32_t events) {
    epoll_event e{};
    e.events = events;
    e.data.fd = fd;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &e);
  }

  Connection* find(int fd) {
    const auto at = static_cast<std::size_t>(fd);
    return at < connections_.size() ? connections_[at].get() : nullptr;
  }

  void accept_all() {
    for (;;) {
      const int fd = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE) ++counters_.refused;  // left in the backlog
        return;
      }
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      const auto at = static_cast<std::size_t>(fd);
      if (at >= connections_.size()) connections_.resize(at + 1024);
      connections_[at] = std::make_unique<Connection>();
      connections_[at]->generation = ++generation_;
      watch(fd, EPOLLIN | EPOLLRDHUP);
      ++counters_.connections;
      counters_.peak_open = std::max(counters_.peak_open, ++counters_.open);
    }
  }

  void close_connection(int fd) {
    Connection* c = find(fd);
    if (c == nullptr) return;
    if (c->waiting) ++counters_.abandoned;
    connections_[static_cast<std::size_t>(fd)].reset();
    close(fd);  // also takes it out of the epoll set
    --counters_.open;
  }

  void on_ready(int fd, std::uint32_t what) {
    Connection* c = find(fd);
    if (c == nullptr) return;
    if ((what & EPOLLOUT) != 0 && !flush(fd, *c)) return;
    if ((what & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0) {
      take_request(fd, *c);  // one that arrived while the answer was being written
      return;
    }
    char buffer[16384];
    for (;;) {
      const ssize_t got = read(fd, buffer, sizeof buffer);
      if (got > 0) {
        c->in.append(buffer, static_cast<std::size_t>(got));
        continue;
      }
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) break;
      close_connection(fd);  // the peer is gone (or broke): so is its answer
      return;
    }
    take_request(fd, *c);
  }

  // Reads the next whole request from the connection's bytes, unless one is
  // already waiting for its answer (a pipelined one waits its turn).
  void take_request(int fd, Connection& c) {
    if (c.waiting || !c.out.empty()) return;
    const std::size_t head_end = c.in.find("\r\n\r\n");
    if (head_end == std::string::npos) {
      if (c.in.size() > kMaxHead) close_connection(fd);
      return;
    }
    const Head head = read_head(std::string_view(c.in).substr(0, head_end));
    if (!head.ok) {
      close_connection(fd);  // libcurl sends POSTFIELDS with Content-Length
      return;
    }
    const std::size_t whole = head_end + 4 + head.body_bytes;
    if (c.in.size() < whole) return;
    c.in.erase(0, whole);
    c.waiting = true;
    c.close_after = head.close_after;
    ++counters_.requests;
    // One delay for every request, so the queue stays in due order.
    due_.push_back(Due{now_ns() + delay_ns_, fd, c.generation});
  }

  void answer_due() {
    const std::int64_t now = now_ns();
    while (!due_.empty() && due_.front().at_ns <= now) {
      const Due d = due_.front();
      due_.pop_front();
      Connection* c = find(d.fd);
      if (c == nullptr || c->generation != d.generation || !c->waiting) continue;
      const double late_ms = static_cast<double>(now - d.at_ns) / 1e6;
      counters_.late_ms_sum += late_ms;
      counters_.late_ms_max = std::max(counters_.late_ms_max, late_ms);
      c->waiting = false;
      c->out.append(kAnswer);
      ++counters_.answered;
      if (flush(d.fd, *c)) take_request(d.fd, *c);
    }
  }

  // Writes what it can; false when the connection was closed.
  bool flush(int fd, Connection& c) {
    while (!c.out.empty()) {
      const ssize_t sent = send(fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      if (sent < 0 && errno == EAGAIN) {
        if (!c.writing) rewatch(fd, EPOLLIN | EPOLLRDHUP | EPOLLOUT);
        c.writing = true;
        return true;
      }
      if (sent < 0) {
        close_connection(fd);
        return false;
      }
      c.out.erase(0, static_cast<std::size_t>(sent));
    }
    if (c.writing) rewatch(fd, EPOLLIN | EPOLLRDHUP);
    c.writing = false;
    if (c.close_after) {
      close_connection(fd);
      return false;
    }
    return true;
  }

  void on_signal() {
    signalfd_siginfo info{};
    while (read(signals_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      if (info.ssi_signo == SIGUSR1) {
        report();
      } else {
        stopping_ = true;
      }
    }
  }

  void report() const {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    const Counters& k = counters_;
    std::printf("delay_receiver delay_ms=%.0f requests=%llu answered=%llu connections=%llu open=%llu peak_open=%llu "
                "abandoned=%llu refused=%llu late_ms_mean=%.2f late_ms_max=%.1f cpu_s=%.2f\n",
                static_cast<double>(delay_ns_) / 1e6, static_cast<unsigned long long>(k.requests),
                static_cast<unsigned long long>(k.answered), static_cast<unsigned long long>(k.connections),
                static_cast<unsigned long long>(k.open), static_cast<unsigned long long>(k.peak_open),
                static_cast<unsigned long long>(k.abandoned), static_cast<unsigned long long>(k.refused),
                k.answered != 0 ? k.late_ms_sum / static_cast<double>(k.answered) : 0.0, k.late_ms_max, cpu);
    std::fflush(stdout);
  }

  std::int64_t delay_ns_;
  int epoll_ = -1, listener_ = -1, signals_ = -1, port_ = 0;
  bool stopping_ = false;
  std::uint64_t generation_ = 0;
  std::vector<std::unique_ptr<Connection>> connections_;  ///< by descriptor
  std::deque<Due> due_;
  Counters counters_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: delay_receiver DELAY_MS [PORT]\n");
    return 2;
  }
  const long delay_ms = std::strtol(argv[1], nullptr, 10);
  const long port = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 0;
  if (delay_ms < 0 || port < 0 || port > 65535) {
    std::fprintf(stderr, "usage: delay_receiver DELAY_MS [PORT]\n");
    return 2;
  }
  Receiver receiver(std::int64_t{delay_ms} * 1000000, static_cast<int>(port));
  std::printf("listening on http://127.0.0.1:%d\n", receiver.port());
  std::fflush(stdout);
  receiver.run();
  return 0;
}
