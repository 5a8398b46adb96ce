// Notify -> the receiver's first byte (issue 15): how long an event waits
// before a worker sends it, at a steady rate, on a SQLite file.
//
//   wake_latency inprocess DB_FILE RATE COUNT
//       a Notifier in this process stores and delivers (notify wakes its own
//       worker).
//   wake_latency cross DB_FILE RATE COUNT RUNHOOKS_BIN [WORKER_ARGS...]
//       this process only stores (a Publisher); `RUNHOOKS_BIN --store
//       sqlite:DB_FILE worker --allow-network 127.0.0.1/32 --quiet
//       [WORKER_ARGS...]`, started here, delivers: what a separate
//       `runhooks worker` learns of another process's notify, and when.
//
// One hook, on a receiver in this process (loopback HTTP/1.1, keep-alive,
// one thread per connection, answers 200 at once). Each event's payload
// carries CLOCK_MONOTONIC just before its notify; the receiver reads the
// clock when the first byte of the request arrives: the difference is the
// latency (both clocks are this process's, in either mode). One warm-up
// event goes first, then COUNT events at RATE per second, paced to a
// schedule (a late notify does not push the next ones back). Output: one
// line of key=value pairs.
//
// DB_FILE is made afresh (any file there is removed first, with its -wal
// and -shm).

#include <runhooks/runhooks.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

std::int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "wake_latency: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T check(runhooks::Result<T> r, const char* what) {
  if (!r) die(std::string(what) + ": " + r.error().to_string());
  return std::move(*r);
}

// The loopback receiver: records, per request, first byte time minus the
// payload's "sent" time.
class Receiver {
 public:
  Receiver() {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener_ < 0) die("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("bind");
    if (listen(listener_, 64) != 0) die("listen");
    socklen_t len = sizeof addr;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~Receiver() {
    stopping_ = true;
    shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    {
      std::lock_guard lock(mutex_);
      for (int fd : connections_) shutdown(fd, SHUT_RDWR);
    }
    for (std::thread& t : threads_) t.join();
    for (int fd : connections_) close(fd);
    close(listener_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

  /// Waits until `n` requests arrived; false after `timeout`.
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, timeout, [&] { return count_ >= n; });
  }

  /// The latencies (ns) of requests whose payload's sequence number is at
  /// least `first`.
  std::vector<std::int64_t> latencies(long first) {
    std::lock_guard lock(mutex_);
    std::vector<std::int64_t> out;
    for (const auto& [seq, ns] : samples_) {
      if (seq >= first) out.push_back(ns);
    }
    return out;
  }

 private:
  void accept_loop() {
    for (;;) {
      const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (stopping_) return;
        continue;
      }
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard lock(mutex_);
      connections_.push_back(fd);
      threads_.emplace_back([this, fd] { serve(fd); });
    }
  }

  void serve(int fd) {
    std::string buffer;
    char chunk[16384];
    std::int64_t first_byte = 0;
    for (;;) {
      // One request: headers, then Content-Length bytes of body.
      std::size_t header_end;
      while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
        const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        if (buffer.empty()) first_byte = mono_ns();
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      std::size_t length = 0;
      std::string headers = buffer.substr(0, header_end);
      for (char& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (auto at = headers.find("content-length:"); at != std::string::npos) {
        length = std::strtoul(headers.c_str() + at + 15, nullptr, 10);
      }
      while (buffer.size() < header_end + 4 + length) {
        const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      const std::string body = buffer.substr(header_end + 4, length);
      buffer.erase(0, header_end + 4 + length);
      const std::int64_t arrived = first_byte;
      if (!buffer.empty()) first_byte = mono_ns();  // pipelined (curl does not): the next one's, roughly
      static const char kReply[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
      if (send(fd, kReply, sizeof kReply - 1, MSG_NOSIGNAL) < 0) return;
      record(body, arrived);
    }
  }

  void record(const std::string& body, std::int64_t arrived) {
    long seq = -1;
    long long sent = 0;
    if (auto at = body.find("\"seq\":"); at != std::string::npos) seq = std::strtol(body.c_str() + at + 6, nullptr, 10);
    if (auto at = body.find("\"sentNs\":"); at != std::string::npos) {
      sent = std::strtoll(body.c_str() + at + 9, nullptr, 10);
    }
    std::lock_guard lock(mutex_);
    samples_.emplace_back(seq, arrived - sent);
    ++count_;
    arrived_.notify_all();
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<int> connections_;
  std::vector<std::thread> threads_;
  std::vector<std::pair<long, std::int64_t>> samples_;
  std::size_t count_ = 0;
};

runhooks::Event timed_event(long seq) {
  std::string json = "{\"event\":\"RUN_FINISH\",\"runUrl\":\"https://ci.example.com/run/" + std::to_string(seq) +
                     "\",\"seq\":" + std::to_string(seq) + ",\"sentNs\":" + std::to_string(mono_ns()) + "}";
  return runhooks::Event{runhooks::EventType::run_finish, std::move(json), ""};
}

double percentile_ms(std::vector<std::int64_t> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  return static_cast<double>(values[index]) / 1e6;
}

// Notifies `count` events at `rate` per second through `notify`, the
// warm-up (seq 0) first; waits for every one to arrive; prints the figures.
template <class Notify>
int run_stream(const char* mode, Receiver& receiver, int rate, int count, Notify notify) {
  notify(timed_event(0));
  if (!receiver.wait_for(1, std::chrono::seconds(30))) die("the warm-up event never arrived");
  const std::int64_t start = mono_ns() + 10'000'000;
  const std::int64_t step = 1'000'000'000LL / rate;
  for (long i = 1; i <= count; ++i) {
    const std::int64_t at = start + (i - 1) * step;
    const timespec until{static_cast<time_t>(at / 1'000'000'000), static_cast<long>(at % 1'000'000'000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) == EINTR) {
    }
    notify(timed_event(i));
  }
  const double send_s = static_cast<double>(mono_ns() - start) / 1e9;
  const bool all = receiver.wait_for(static_cast<std::size_t>(count) + 1, std::chrono::seconds(60));
  const auto samples = receiver.latencies(1);
  std::printf("mode=%s rate=%d count=%d received=%zu notify_seconds=%.2f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f "
              "max_ms=%.2f\n",
              mode, rate, count, samples.size(), send_s, percentile_ms(samples, 0.50), percentile_ms(samples, 0.90),
              percentile_ms(samples, 0.99), percentile_ms(samples, 1.0));
  std::fflush(stdout);
  return all ? 0 : 1;
}

std::shared_ptr<runhooks::Storage> fresh_store(const std::string& file, const std::string& url) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::remove((file + suffix).c_str());
  auto store = check(runhooks::open_storage("sqlite:" + file), "open store");
  runhooks::WebhookRegistry registry(store);
  check(registry.create("bench", runhooks::NewWebhook{url, std::nullopt, std::nullopt, {}}), "create hook");
  return store;
}

int inprocess(const std::string& file, int rate, int count) {
  Receiver receiver;
  auto store = fresh_store(file, receiver.url());
  runhooks::NotifierOptions options;  // the defaults: poll_interval 1 s, one delivery thread
  if (!options.network.allow("127.0.0.1/32")) die("allow");
  runhooks::Notifier notifier(store, options);
  return run_stream("inprocess", receiver, rate, count,
                    [&](const runhooks::Event& e) { check(notifier.notify("bench", e), "notify"); });
}

int cross(const std::string& file, int rate, int count, const std::vector<std::string>& worker_argv) {
  Receiver receiver;
  auto store = fresh_store(file, receiver.url());
  runhooks::Publisher publisher(store);  // stores only: the other process delivers
  const pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    std::vector<char*> argv;
    for (const std::string& a : worker_argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    std::_Exit(127);
  }
  const int rc = run_stream("cross", receiver, rate, count,
                            [&](const runhooks::Event& e) { check(publisher.notify("bench", e), "notify"); });
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr,
                 "usage: wake_latency inprocess DB_FILE RATE COUNT\n"
                 "       wake_latency cross DB_FILE RATE COUNT RUNHOOKS_BIN [WORKER_ARGS...]\n");
    return 2;
  }
  const std::string mode = argv[1];
  const std::string file = argv[2];
  const int rate = std::max(1, std::atoi(argv[3]));
  const int count = std::max(1, std::atoi(argv[4]));
  if (mode == "inprocess") return inprocess(file, rate, count);
  if (mode == "cross" && argc >= 6) {
    std::vector<std::string> worker = {argv[5], "--store", "sqlite:" + file, "worker", "--allow-network",
                                       "127.0.0.1/32", "--quiet"};
    for (int i = 6; i < argc; ++i) worker.emplace_back(argv[i]);
    return cross(file, rate, count, worker);
  }
  std::fprintf(stderr, "wake_latency: unknown mode '%s'\n", mode.c_str());
  return 2;
}
