#include "support/test_receiver.hpp"

#include "support/loopback_listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

namespace runhooks::test {

std::string ReceivedRequest::header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return {};
}

std::size_t ReceivedRequest::header_count(const std::string& name) const {
  return static_cast<std::size_t>(std::count_if(headers.begin(), headers.end(),
                                                [&](const auto& h) { return h.first == name; }));
}

bool Gate::pass(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ++arrivals_;
  changed_.notify_all();
  return changed_.wait_for(lock, timeout, [&] { return open_; });
}

bool Gate::wait_for_arrivals(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return arrivals_ >= n; });
}

void Gate::open() {
  {
    std::lock_guard lock(mutex_);
    open_ = true;
  }
  changed_.notify_all();
}

TestReceiver::TestReceiver(Handler handler) : handler_(std::move(handler)) {
  if (pipe(stop_pipe_) != 0) throw std::runtime_error("pipe");
  const LoopbackListener listener = listen_on_loopback(512);
  listen_fd_ = listener.fd;
  port_ = listener.port;
  acceptor_ = std::thread([this] { accept_loop(); });
}

TestReceiver::~TestReceiver() {
  stopping_ = true;
  (void)!write(stop_pipe_[1], "x", 1);
  acceptor_.join();
  {
    std::lock_guard lock(mutex_);
    for (int fd : connections_) shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : threads_) t.join();
  close(listen_fd_);
  close(stop_pipe_[0]);
  close(stop_pipe_[1]);
}

std::string TestReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<ReceivedRequest> TestReceiver::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t TestReceiver::count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

bool TestReceiver::wait_for(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return arrived_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

void TestReceiver::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) return;
    const int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mutex_);
    connections_.push_back(fd);
    threads_.emplace_back([this, fd] { serve(fd); });
  }
}

namespace {

// Reads until `buffer` holds `needed` bytes; false on EOF or error.
bool read_more(int fd, std::string& buffer) {
  char chunk[65536];
  const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buffer.append(chunk, static_cast<std::size_t>(n));
  return true;
}

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::size_t parse_request_head(const std::string& head, ReceivedRequest& request) {
  std::size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const auto space1 = request_line.find(' ');
  const auto space2 = request_line.find(' ', space1 + 1);
  request.method = request_line.substr(0, space1);
  request.target = request_line.substr(space1 + 1, space2 - space1 - 1);
  request.headers.clear();
  std::size_t content_length = 0;
  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = lower(line.substr(0, colon));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    if (name == "content-length") content_length = std::stoul(value);
    request.headers.emplace_back(std::move(name), std::move(value));
  }
  return content_length;
}

void TestReceiver::serve(int fd) {
  // Closes under the lock, so the destructor never shuts down a reused fd.
  auto finish = [this, fd] {
    std::lock_guard lock(mutex_);
    connections_.erase(std::remove(connections_.begin(), connections_.end(), fd), connections_.end());
    close(fd);
  };
  std::string buffer;
  while (!stopping_) {
    std::size_t header_end;
    while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!read_more(fd, buffer)) { finish(); return; }
    }
    ReceivedRequest request;
    const std::size_t content_length = parse_request_head(buffer.substr(0, header_end), request);
    buffer.erase(0, header_end + 4);
    while (buffer.size() < content_length) {
      if (!read_more(fd, buffer)) { finish(); return; }
    }
    request.body = buffer.substr(0, content_length);
    buffer.erase(0, content_length);

    const Reply reply = handler_ ? handler_(request) : Reply{};
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    arrived_.notify_all();

    if (reply.delay.count() > 0 || reply.action == Reply::Action::hang) {
      pollfd p{stop_pipe_[0], POLLIN, 0};
      const int wait_ms = reply.action == Reply::Action::hang ? -1 : static_cast<int>(reply.delay.count());
      poll(&p, 1, wait_ms);
      if (reply.action == Reply::Action::hang || stopping_) { finish(); return; }
    }
    if (reply.action == Reply::Action::reset) {
      linger hard{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
      finish();
      return;
    }
    std::string response;
    if (!reply.early_hints.empty()) {
      response = "HTTP/1.1 103 Early Hints\r\n";
      for (const auto& [n, v] : reply.early_hints) response += n + ": " + v + "\r\n";
      response += "\r\n";
    }
    response += "HTTP/1.1 " + std::to_string(reply.status) + " Status\r\n";
    for (const auto& [n, v] : reply.headers) response += n + ": " + v + "\r\n";
    response += "Content-Length: " + std::to_string(reply.body.size() + reply.filler_bytes) + "\r\n\r\n";
    response += reply.body;
    if (!send_all(fd, response)) { finish(); return; }
    std::size_t left = reply.filler_bytes;
    const std::string filler(1 << 16, 'x');
    while (left > 0) {
      const std::size_t n = std::min(left, filler.size());
      if (!send_all(fd, filler.substr(0, n))) { finish(); return; }
      left -= n;
    }
  }
  finish();
}

}  // namespace runhooks::test
