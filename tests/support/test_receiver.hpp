#pragma once
// A real HTTP/1.1 server on 127.0.0.1 (port picked by the kernel) for the
// notifier's tests: it records every request and answers as the test says —
// any status, Retry-After, a delay, a huge body, header fields, an interim
// 1xx response first, a connection reset, or no answer at all (black hole). Keep-alive; one thread per connection.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace runhooks::test {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;

  /// The first value of header `name` (lowercase), or "".
  std::string header(const std::string& name) const;
  /// How many times header `name` (lowercase) was sent.
  std::size_t header_count(const std::string& name) const;
};

/// Reads a request's line and header fields into `request` (names
/// lowercased, values left-trimmed). `head` ends before the empty line.
/// Returns the Content-Length, 0 when there is none.
std::size_t parse_request_head(const std::string& head, ReceivedRequest& request);

struct Reply {
  enum class Action { respond, reset, hang };
  Action action = Action::respond;
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body = "ok";
  std::size_t filler_bytes = 0;  ///< extra body bytes ('x'), for huge answers
  /// When not empty, an interim 103 Early Hints response with these header
  /// fields goes first.
  std::vector<std::pair<std::string, std::string>> early_hints;
  std::chrono::milliseconds delay{0};

  static Reply status_only(int status) { Reply r; r.status = status; return r; }
};

/// Where a receiver's handler waits until the test opens it: a request held
/// in flight for as long as the test needs, without sleeping.
class Gate {
 public:
  /// Waits until the gate is open; false after `timeout` (so that a failed
  /// test does not hang its receiver's destructor).
  bool pass(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// True once `n` handlers have come to the gate (open or not), false after `timeout`.
  bool wait_for_arrivals(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  void open();

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::size_t arrivals_ = 0;
  bool open_ = false;
};

class TestReceiver {
 public:
  using Handler = std::function<Reply(const ReceivedRequest&)>;

  /// Listens at once; every request gets `handler`'s reply (default: 200).
  explicit TestReceiver(Handler handler = {});
  ~TestReceiver();
  TestReceiver(const TestReceiver&) = delete;
  TestReceiver& operator=(const TestReceiver&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path = "/hook") const;

  std::vector<ReceivedRequest> requests() const;
  std::size_t count() const;
  /// True once at least `n` requests arrived, false after `timeout`.
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  void accept_loop();
  void serve(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::vector<ReceivedRequest> requests_;
  std::vector<int> connections_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace runhooks::test
