#include "support/counting_receiver.hpp"

#include "support/loopback_listener.hpp"
#include "support/test_receiver.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <vector>

namespace runhooks::test {

namespace {

// How long a request waits for its batch before it is answered anyway.
constexpr auto kBatchWait = std::chrono::seconds(10);

}  // namespace

CountingReceiver::CountingReceiver(int status, Mode mode) : status_(status), mode_(mode) {
  if (pipe2(stop_pipe_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
  const LoopbackListener listener = listen_on_loopback(SOMAXCONN);
  listen_fd_ = listener.fd;
  port_ = listener.port;
  thread_ = std::thread([this] { run(); });
}

CountingReceiver::~CountingReceiver() {
  (void)!write(stop_pipe_[1], "x", 1);
  thread_.join();
  close(listen_fd_);
  close(stop_pipe_[0]);
  close(stop_pipe_[1]);
}

void CountingReceiver::answer_in_batches_of(std::size_t n) {
  std::lock_guard lock(mutex_);
  batch_ = n == 0 ? 1 : n;
}

std::string CountingReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::size_t CountingReceiver::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t CountingReceiver::connections() const {
  std::lock_guard lock(mutex_);
  return connections_;
}

std::size_t CountingReceiver::open_connections() const {
  std::lock_guard lock(mutex_);
  return connections_ - closed_;
}

bool CountingReceiver::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requests_ >= n; });
}

bool CountingReceiver::wait_for_open_at_most(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return connections_ - closed_ <= n; });
}

// The one thread: accepts, reads requests whole (head, then Content-Length
// bytes), and answers those waiting once their batch is full or has waited
// long enough.
void CountingReceiver::run() {
  std::map<int, std::string> buffers;  // by connection: bytes read, not yet a whole request
  std::vector<int> waiting;             // connections whose request awaits its answer
  std::chrono::steady_clock::time_point first_waiting;
  const std::string answer = "HTTP/1.1 " + std::to_string(status_) +
                             " Whatever\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";
  auto close_connection = [&](int fd) {
    close(fd);
    buffers.erase(fd);
    std::lock_guard lock(mutex_);
    ++closed_;
    changed_.notify_all();
  };
  for (;;) {
    std::vector<pollfd> fds{{stop_pipe_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (const auto& entry : buffers) fds.push_back({entry.first, POLLIN, 0});
    if (poll(fds.data(), fds.size(), waiting.empty() ? -1 : 100) < 0) continue;
    if (fds[0].revents != 0) break;
    if (fds[1].revents != 0) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        buffers[fd];
        std::lock_guard lock(mutex_);
        ++connections_;
        changed_.notify_all();
      }
    }
    for (std::size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      const int fd = fds[i].fd;
      char chunk[16384];
      const ssize_t got = read(fd, chunk, sizeof chunk);
      if (got <= 0) {
        waiting.erase(std::remove(waiting.begin(), waiting.end(), fd), waiting.end());
        close_connection(fd);
        continue;
      }
      std::string& buffer = buffers[fd];
      buffer.append(chunk, static_cast<std::size_t>(got));
      const std::size_t head_end = buffer.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      ReceivedRequest request;
      const std::size_t body = parse_request_head(buffer.substr(0, head_end), request);
      if (buffer.size() < head_end + 4 + body) continue;
      buffer.erase(0, head_end + 4 + body);
      if (mode_ == Mode::answer) {
        if (waiting.empty()) first_waiting = std::chrono::steady_clock::now();
        waiting.push_back(fd);
      }
      std::lock_guard lock(mutex_);
      ++requests_;
      changed_.notify_all();
    }
    std::size_t batch = 1;
    {
      std::lock_guard lock(mutex_);
      batch = batch_;
    }
    if (!waiting.empty() &&
        (waiting.size() >= batch || std::chrono::steady_clock::now() - first_waiting >= kBatchWait)) {
      for (const int fd : waiting) (void)!send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
      waiting.clear();
    }
  }
  for (const auto& entry : buffers) close(entry.first);
}

}  // namespace runhooks::test
