#pragma once
// Runs a function in a forked child process, for tests about several
// processes sharing one store. The child never returns into Catch2: it exits
// with the function's result.

#include <functional>
#include <string>
#include <vector>
#include <sys/types.h>

namespace runhooks::test {

class ChildProcess {
 public:
  /// Forks; the child runs `body` and _exits with its return value.
  explicit ChildProcess(const std::function<int()>& body);
  /// Starts `argv[0]` with these arguments (fork + exec: safe from a
  /// process that already runs threads).
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();  // kills and reaps the child if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// Waits for the child; its exit code, or 128 + signal.
  int wait();
  /// SIGKILL, then waits; what `wait` returns.
  int kill_now();

 private:
  pid_t pid_ = -1;
};

/// A one-byte signal between processes over a pipe.
class Latch {
 public:
  Latch();
  ~Latch();
  Latch(const Latch&) = delete;
  Latch& operator=(const Latch&) = delete;
  void signal();
  /// True when signalled within `timeout_ms`.
  bool wait(int timeout_ms);

 private:
  int fds_[2] = {-1, -1};
};

}  // namespace runhooks::test
