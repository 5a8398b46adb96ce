#pragma once
// Waits for sockets to be ready, or for another thread to call `wake`: one
// epoll instance and one eventfd (Linux), both close-on-exec. Knows nothing
// of libcurl: the sockets are named by the caller's 64-bit tags.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <sys/epoll.h>

namespace runhooks::detail {

class SocketLoop {
 public:
  /// What a socket is ready for, as the kernel said.
  struct Ready {
    std::uint64_t tag = 0;
    bool in = false;
    bool out = false;
    bool error = false;  ///< an error or a hang-up: the reader learns which
  };

  /// Never throws. When the kernel gives no epoll instance or no eventfd
  /// (the open-file limit), `problem` says so, `watch` fails and `wait`
  /// only waits for `wake` or its timeout.
  SocketLoop();
  /// Closes both descriptors (not the sockets watched).
  ~SocketLoop();
  SocketLoop(const SocketLoop&) = delete;
  SocketLoop& operator=(const SocketLoop&) = delete;

  /// Empty when usable; else why not, e.g. "epoll_create1: Too many open files".
  const std::string& problem() const { return problem_; }

  /// Watches `fd` for reading and/or writing (neither: watched for errors
  /// alone), reported with `tag`; replaces an earlier watch of it. An `fd`
  /// the kernel already watches, or no longer does (closed and reused),
  /// is taken as it is. Returns errno when the kernel refuses (ENOMEM,
  /// ENOSPC: fs.epoll.max_user_watches), 0 otherwise.
  int watch(int fd, bool in, bool out, std::uint64_t tag);
  /// Stops watching `fd`; nothing if it is not watched or already closed.
  void forget(int fd);

  /// Waits up to `timeout` (0: only looks) until a socket watched is
  /// ready or `wake` is called; returns those ready (valid until the next
  /// call) and sets `woken` when `wake` was called since the last wait.
  const std::vector<Ready>& wait(std::chrono::milliseconds timeout, bool& woken);

  /// Makes a running or the next `wait` return at once. Any thread.
  void wake();

 private:
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::string problem_;
  std::vector<bool> watched_;  ///< by descriptor: whether epoll has it
  std::vector<epoll_event> events_;
  std::vector<Ready> ready_;
  // Without descriptors, `wake` and `wait` meet here instead.
  std::mutex fallback_mutex_;
  std::condition_variable fallback_woken_;
  bool fallback_wake_ = false;
};

}  // namespace runhooks::detail
