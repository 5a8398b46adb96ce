#pragma once
// Runs programs (the runhooks CLI) as a user's shell would: fork + exec, with
// stdin given and stdout/stderr captured.

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace runhooks::test {

struct ProcessResult {
  int exit_code = -1;  ///< or 128 + signal
  std::string out;
  std::string err;
};

/// Runs `argv` to completion, feeding `input` to its stdin.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = "");

/// A program left running (e.g. `runhooks serve`), its stdout readable by line.
class RunningProcess {
 public:
  explicit RunningProcess(const std::vector<std::string>& argv);
  ~RunningProcess();  // SIGKILL if still running
  RunningProcess(const RunningProcess&) = delete;
  RunningProcess& operator=(const RunningProcess&) = delete;

  /// The next line of stdout (without '\n'), or "" on EOF or timeout.
  std::string read_line(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Sends `signal` and waits for the exit; its code (or 128 + signal).
  int stop(int signal);
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buffer_;
};

}  // namespace runhooks::test
