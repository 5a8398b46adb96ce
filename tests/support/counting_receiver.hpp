#pragma once
// A plain HTTP/1.1 receiver on 127.0.0.1 (port picked by the kernel) that
// counts the connections it accepts and closes: one thread and poll(), so
// that hundreds of connections and tens of receivers are cheap. Keep-alive;
// answers every request with one status, or never (a black hole). For the
// transport's tests of connection reuse, many endpoints and clean-up.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

namespace runhooks::test {

class CountingReceiver {
 public:
  enum class Mode { answer, hang };

  /// Listens at once. Throws std::runtime_error when it cannot.
  explicit CountingReceiver(int status = 200, Mode mode = Mode::answer);
  /// Stops its thread and closes every connection.
  ~CountingReceiver();
  CountingReceiver(const CountingReceiver&) = delete;
  CountingReceiver& operator=(const CountingReceiver&) = delete;

  /// From now on, requests are answered in batches of `n`: each waits
  /// until `n` are waiting (at most 10 s), so that `n` sent at once are in
  /// flight at once, on as many connections. 1 (the default) answers each
  /// as soon as it is read.
  void answer_in_batches_of(std::size_t n);

  /// `http://127.0.0.1:PORT` + path.
  std::string url(const std::string& path = "/hook") const;

  /// Requests read in full (answered or not).
  std::size_t requests() const;
  /// Connections accepted, ever.
  std::size_t connections() const;
  /// Connections accepted and not yet closed by the client.
  std::size_t open_connections() const;
  /// True once `n` requests were read, false after `timeout`.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  /// True once no more than `n` connections are open, false after `timeout`.
  bool wait_for_open_at_most(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  void run();

  int status_;
  Mode mode_;
  int listen_fd_ = -1;
  int port_ = 0;
  int stop_pipe_[2] = {-1, -1};
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::size_t batch_ = 1;
  std::size_t requests_ = 0;
  std::size_t connections_ = 0;
  std::size_t closed_ = 0;
  std::thread thread_;
};

}  // namespace runhooks::test
