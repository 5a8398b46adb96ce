#include "support/child_process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

namespace runhooks::test {

ChildProcess::ChildProcess(const std::function<int()>& body) {
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int code = 70;
    try {
      code = body();
    } catch (...) {
    }
    _exit(code);
  }
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    execv(args[0], args.data());
    _exit(127);
  }
}

int ChildProcess::kill_now() {
  kill(pid_, SIGKILL);
  return wait();
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

int ChildProcess::wait() {
  int status = 0;
  if (waitpid(pid_, &status, 0) != pid_) throw std::runtime_error("waitpid failed");
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

Latch::Latch() {
  if (pipe(fds_) != 0) throw std::runtime_error("pipe failed");
}

Latch::~Latch() {
  close(fds_[0]);
  close(fds_[1]);
}

void Latch::signal() {
  const char byte = 1;
  (void)!write(fds_[1], &byte, 1);
}

bool Latch::wait(int timeout_ms) {
  pollfd fd{fds_[0], POLLIN, 0};
  if (poll(&fd, 1, timeout_ms) != 1) return false;
  char byte = 0;
  return read(fds_[0], &byte, 1) == 1;
}

}  // namespace runhooks::test
