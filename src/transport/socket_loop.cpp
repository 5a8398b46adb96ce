#include "transport/socket_loop.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace runhooks::detail {

namespace {

// The wake-up eventfd's tag: no socket's (those carry a descriptor in their
// low 32 bits, never all ones).
constexpr std::uint64_t kWakeTag = ~std::uint64_t{0};
// Events taken from the kernel per wait; more are left for the next.
constexpr int kEventsPerWait = 1024;

std::string failed(const char* call) { return std::string(call) + ": " + std::strerror(errno); }

}  // namespace

SocketLoop::SocketLoop() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    problem_ = failed("epoll_create1");
    return;
  }
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    problem_ = failed("eventfd");
    return;
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kWakeTag;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event) != 0) {
    problem_ = failed("epoll_ctl");
    close(wake_fd_);
    wake_fd_ = -1;
  }
}

SocketLoop::~SocketLoop() {
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

int SocketLoop::watch(int fd, bool in, bool out, std::uint64_t tag) {
  if (!problem_.empty()) return EBADF;
  if (fd < 0) return EBADF;
  const auto slot = static_cast<std::size_t>(fd);
  if (slot >= watched_.size()) watched_.resize(slot + 1, false);
  epoll_event event{};
  event.events = (in ? EPOLLIN : 0u) | (out ? EPOLLOUT : 0u);
  event.data.u64 = tag;
  int op = watched_[slot] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (epoll_ctl(epoll_fd_, op, fd, &event) != 0) {
    // Watched already (EEXIST), or closed and reused since (ENOENT: epoll
    // forgets a descriptor when it is closed): the other operation is the
    // one that holds.
    if (errno != EEXIST && errno != ENOENT) return errno;
    op = op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(epoll_fd_, op, fd, &event) != 0) return errno;
  }
  watched_[slot] = true;
  return 0;
}

void SocketLoop::forget(int fd) {
  const auto slot = static_cast<std::size_t>(fd);
  if (fd < 0 || slot >= watched_.size() || !watched_[slot]) return;
  watched_[slot] = false;
  // ENOENT or EBADF when it was closed first: epoll dropped it then.
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

const std::vector<SocketLoop::Ready>& SocketLoop::wait(std::chrono::milliseconds timeout, bool& woken) {
  ready_.clear();
  woken = false;
  const int wait_ms = static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(timeout.count(), 0, 1 << 30));
  if (!problem_.empty()) {
    std::unique_lock<std::mutex> lock(fallback_mutex_);
    fallback_woken_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return fallback_wake_; });
    woken = fallback_wake_;
    fallback_wake_ = false;
    return ready_;
  }
  events_.resize(kEventsPerWait);
  const int count = epoll_wait(epoll_fd_, events_.data(), kEventsPerWait, wait_ms);
  for (int i = 0; i < count; ++i) {
    const epoll_event& event = events_[static_cast<std::size_t>(i)];
    if (event.data.u64 == kWakeTag) {
      std::uint64_t wakes = 0;
      [[maybe_unused]] const ssize_t got = read(wake_fd_, &wakes, sizeof wakes);
      woken = true;
      continue;
    }
    ready_.push_back(Ready{event.data.u64, (event.events & EPOLLIN) != 0, (event.events & EPOLLOUT) != 0,
                           (event.events & (EPOLLERR | EPOLLHUP)) != 0});
  }
  return ready_;
}

void SocketLoop::wake() {
  if (wake_fd_ >= 0) {
    // Only EAGAIN can fail it (the counter at its maximum): a wake-up is
    // pending then anyway.
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t put = write(wake_fd_, &one, sizeof one);
    return;
  }
  std::lock_guard<std::mutex> lock(fallback_mutex_);
  fallback_wake_ = true;
  fallback_woken_.notify_one();
}

}  // namespace runhooks::detail
