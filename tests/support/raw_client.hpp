#pragma once
// HTTP as raw bytes on loopback sockets, for the server abuse tests: what a
// broken, hostile or slow client sends, and the answers it gets.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

namespace runhooks::test {

/// A TCP connection to 127.0.0.1:`port`, from `source` (any 127.x address)
/// when given; -1 on failure. Close-on-exec; the caller closes it.
int connect_loopback(int port, const std::string& source = "");

/// What a client gets after sending `request` on a new connection: every
/// byte until the server closes ("<closed>" is appended then) or `wait`
/// passes with nothing more.
std::string exchange(int port, const std::string& request,
                     std::chrono::milliseconds wait = std::chrono::milliseconds(2000));

/// How many responses `reply` holds (status lines starting "HTTP/1.1 " at
/// the start of a response).
std::size_t count_status_lines(const std::string& reply);

/// Connections that never finish a request: each sends its first bytes and
/// then one header byte every `interval` (zero: nothing after the first
/// bytes), spread over source addresses 127.0.0.2 to 127.0.0.9, and opens
/// again whenever the server closes it. Runs on a thread of its own until
/// destroyed.
class SlowClients {
 public:
  SlowClients(int port, std::size_t count, std::chrono::milliseconds interval);
  ~SlowClients();
  SlowClients(const SlowClients&) = delete;
  SlowClients& operator=(const SlowClients&) = delete;

  /// Connections the server has closed so far (each was opened again).
  std::size_t closed_by_server() const { return closed_.load(); }
  /// Connections open at the last look.
  std::size_t open() const { return open_.load(); }

 private:
  void run();

  int port_;
  std::size_t count_;
  std::chrono::milliseconds interval_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> closed_{0};
  std::atomic<std::size_t> open_{0};
  std::thread thread_;
};

/// The server's resident memory in KiB (/proc/PID/status VmRSS), 0 if unknown.
std::size_t resident_kib(int pid);

}  // namespace runhooks::test
