#include "support/tls_session_receiver.hpp"

#include "support/loopback_listener.hpp"
#include "support/tls_receiver.hpp"  // server_tls_context

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace runhooks::test {

TlsSessionReceiver::TlsSessionReceiver(const std::string& certificate_file, const std::string& key_file,
                                       std::size_t requests_per_connection)
    : requests_per_connection_(requests_per_connection) {
  context_ = server_tls_context(certificate_file, key_file);
  signal(SIGPIPE, SIG_IGN);  // an answer to a client gone is not the test's end
  if (pipe(stop_pipe_) != 0) throw std::runtime_error("pipe");
  const LoopbackListener listener = listen_on_loopback(64);
  listen_fd_ = listener.fd;
  port_ = listener.port;
  acceptor_ = std::thread([this] { accept_loop(); });
}

TlsSessionReceiver::~TlsSessionReceiver() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;  // under the lock: a thread held for its batch sees it
  }
  changed_.notify_all();
  (void)!write(stop_pipe_[1], "x", 1);
  acceptor_.join();
  {
    std::lock_guard lock(mutex_);
    for (int fd : fds_) {
      if (fd >= 0) shutdown(fd, SHUT_RDWR);  // wakes its thread's read
    }
  }
  for (auto& t : threads_) t.join();
  close(listen_fd_);
  close(stop_pipe_[0]);
  close(stop_pipe_[1]);
  SSL_CTX_free(context_);
}

std::string TlsSessionReceiver::url(const std::string& path) const {
  return "https://127.0.0.1:" + std::to_string(port_) + path;
}

std::size_t TlsSessionReceiver::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t TlsSessionReceiver::connections() const {
  std::lock_guard lock(mutex_);
  return handshakes_;
}

std::size_t TlsSessionReceiver::resumed_handshakes() const {
  std::lock_guard lock(mutex_);
  return resumed_;
}

std::size_t TlsSessionReceiver::open_connections() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(fds_.begin(), fds_.end(), [](int fd) { return fd >= 0; }));
}

void TlsSessionReceiver::answer_in_batches_of(std::size_t n) {
  std::lock_guard lock(mutex_);
  answers_.size = std::max<std::size_t>(1, n);
}

void TlsSessionReceiver::handshake_in_batches_of(std::size_t n) {
  std::lock_guard lock(mutex_);
  handshakes_in_batch_.size = std::max<std::size_t>(1, n);
}

void TlsSessionReceiver::wait_in(Batch& batch) {
  std::unique_lock lock(mutex_);
  const std::size_t mine = batch.released;
  if (++batch.waiting >= batch.size) {
    batch.waiting = 0;
    ++batch.released;
    changed_.notify_all();
    return;
  }
  // A batch that never fills is released all the same, late: the test's
  // counts then tell what went wrong, rather than a hang.
  if (!changed_.wait_for(lock, std::chrono::seconds(10), [&] { return batch.released != mine || stopping_; })) {
    batch.waiting = 0;
    ++batch.released;
    changed_.notify_all();
  }
}

bool TlsSessionReceiver::wait_for(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requests_ >= n; });
}

bool TlsSessionReceiver::wait_for_open_at_most(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    return static_cast<std::size_t>(std::count_if(fds_.begin(), fds_.end(), [](int fd) { return fd >= 0; })) <= n;
  });
}

void TlsSessionReceiver::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) return;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mutex_);
    fds_.push_back(fd);
    const std::size_t index = fds_.size() - 1;
    threads_.emplace_back([this, index] { serve(index); });
  }
}

namespace {

// The next whole request (head and Content-Length body) at the front of
// `buffer`, removed from it; false until one is whole.
bool take_request(std::string& buffer) {
  const std::size_t head_end = buffer.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  ReceivedRequest request;
  const std::size_t length = parse_request_head(buffer.substr(0, head_end), request);
  if (buffer.size() < head_end + 4 + length) return false;
  buffer.erase(0, head_end + 4 + length);
  return true;
}

}  // namespace

void TlsSessionReceiver::serve(std::size_t index) {
  int fd = -1;
  {
    std::lock_guard lock(mutex_);
    fd = fds_[index];
  }
  // Counted in its batch once its ClientHello is here: the session it
  // offers is chosen by then.
  pollfd hello{fd, POLLIN, 0};
  (void)poll(&hello, 1, 10000);
  wait_in(handshakes_in_batch_);
  SSL* ssl = SSL_new(context_);
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) == 1) {
    {
      std::lock_guard lock(mutex_);
      ++handshakes_;
      if (SSL_session_reused(ssl) == 1) ++resumed_;
    }
    std::string buffer;
    std::size_t served = 0;
    bool open = true;
    while (open && !stopping_) {
      while (!take_request(buffer)) {
        char chunk[16384];
        const int n = SSL_read(ssl, chunk, sizeof chunk);
        if (n <= 0) {
          open = false;
          break;
        }
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      if (!open) break;
      wait_in(answers_);
      ++served;
      const bool last = requests_per_connection_ > 0 && served == requests_per_connection_;
      const std::string answer = std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n") +
                                 (last ? "Connection: close\r\n" : "") + "\r\nok";
      {
        // Counted before it is sent: a client that has its answer finds it counted.
        std::lock_guard lock(mutex_);
        ++requests_;
      }
      changed_.notify_all();
      if (SSL_write(ssl, answer.data(), static_cast<int>(answer.size())) <= 0) break;
      if (last) {
        SSL_shutdown(ssl);
        break;
      }
    }
  }
  ERR_clear_error();
  SSL_free(ssl);
  {
    std::lock_guard lock(mutex_);
    close(fd);
    fds_[index] = -1;
  }
  changed_.notify_all();
}

}  // namespace runhooks::test
