#pragma once
// An HTTPS/1.1 receiver that tells a client's connections and TLS
// handshakes apart: keep-alive, one thread per connection, and for each
// connection whether its handshake resumed an earlier session or was a full
// one. For the tests of how few handshakes deliveries make.

#include "support/test_receiver.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

typedef struct ssl_ctx_st SSL_CTX;

namespace runhooks::test {

class TlsSessionReceiver {
 public:
  /// Listens at once on 127.0.0.1 with this certificate chain and key (PEM
  /// files; see TestCertificates), resuming sessions by ticket or id as
  /// OpenSSL's server does by default. `requests_per_connection` 0 keeps
  /// connections open until the client closes them; N answers the Nth
  /// request of a connection with `Connection: close` and closes it.
  TlsSessionReceiver(const std::string& certificate_file, const std::string& key_file,
                     std::size_t requests_per_connection = 0);
  ~TlsSessionReceiver();
  TlsSessionReceiver(const TlsSessionReceiver&) = delete;
  TlsSessionReceiver& operator=(const TlsSessionReceiver&) = delete;

  /// From now on, requests are answered in batches of `n`: each waits
  /// until `n` are waiting (at most 10 s), so that `n` sent at once are in
  /// flight at once, on as many connections, however fast the client is.
  /// 1 (the default) answers each at once.
  void answer_in_batches_of(std::size_t n);
  /// The same for TLS handshakes: a new connection's ClientHello is
  /// answered once `n` connections have sent theirs. So `n` connections opened at once all
  /// offer the session the client had before any of them completes its
  /// handshake (OpenSSL's client marks a TLS 1.3 session used once it has
  /// resumed, and the ticket the server sends then arrives later).
  void handshake_in_batches_of(std::size_t n);

  /// `https://127.0.0.1:PORT` + path.
  std::string url(const std::string& path = "/hook") const;

  /// Requests answered (200), on every connection.
  std::size_t requests() const;
  /// Connections whose handshake completed: each one handshake, either
  /// full or resuming a session.
  std::size_t connections() const;
  std::size_t resumed_handshakes() const;
  std::size_t full_handshakes() const { return connections() - resumed_handshakes(); }
  /// Connections the receiver still holds open.
  std::size_t open_connections() const;
  /// True once `n` requests were answered, false after `timeout`.
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  /// True once no more than `n` connections are open, false after `timeout`.
  bool wait_for_open_at_most(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  void accept_loop();
  /// Requests (or handshakes) held until `size` of them wait together.
  struct Batch {
    std::size_t size = 1;
    std::size_t waiting = 0;
    std::size_t released = 0;  ///< batches let go so far
  };

  void serve(std::size_t index);
  void wait_in(Batch& batch);

  SSL_CTX* context_ = nullptr;
  std::size_t requests_per_connection_ = 0;
  int listen_fd_ = -1;
  int port_ = 0;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::size_t requests_ = 0;
  std::size_t handshakes_ = 0;
  std::size_t resumed_ = 0;
  Batch answers_;
  Batch handshakes_in_batch_;
  std::vector<int> fds_;  ///< by connection; -1 once closed
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace runhooks::test
