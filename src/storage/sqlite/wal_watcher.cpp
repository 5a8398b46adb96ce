#include "storage/sqlite/wal_watcher.hpp"

#ifdef __linux__
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#endif

namespace runhooks::detail {

#ifdef __linux__

namespace {

// The files' watches: armed, any write to them is an event (in WAL mode every
// commit appends to the -wal; the database itself is written by checkpoints,
// and by commits in rollback-journal mode); disarmed, only their deletion is,
// and a write costs its writer nothing more than a look at the inode's mask.
constexpr std::uint32_t kArmed = IN_MODIFY | IN_DELETE_SELF;
constexpr std::uint32_t kDisarmed = IN_DELETE_SELF;
// The directory's watch: a -wal made anew (SQLite deletes it when the last
// connection closes) or a file moved into place. Events of other files in
// the directory are read and ignored.
constexpr std::uint32_t kDirectory = IN_CREATE | IN_MOVED_TO | IN_ONLYDIR;

// How long writes settle before they are judged (see run), and how soon
// `check` is asked again when it could not tell (this process was in a
// transaction of its own): 1 ms after a wake, doubling while the writes are
// only this process's own (a worker busy delivering), up to 8 ms. What the
// watcher adds to a wake-up, at most.
constexpr long kSettleNs = 1'000'000;
constexpr long kMaxSettleNs = 8'000'000;

void close_fd(int fd) {
  if (fd >= 0) ::close(fd);
}

}  // namespace

std::unique_ptr<WalWatcher> WalWatcher::start(const std::string& db_path, std::function<Verdict()> check,
                                              std::function<void()> wake) {
  if (db_path.empty() || !check || !wake) return nullptr;
  const std::size_t slash = db_path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : db_path.substr(0, slash);
  const std::string name = slash == std::string::npos ? db_path : db_path.substr(slash + 1);
  if (name.empty()) return nullptr;

  const int inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd < 0) return nullptr;  // e.g. fs.inotify.max_user_instances reached
  const int dir_wd = inotify_add_watch(inotify_fd, dir.c_str(), kDirectory);
  const int stop_fd = dir_wd < 0 ? -1 : eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd < 0) {
    close_fd(inotify_fd);
    return nullptr;
  }
  std::unique_ptr<WalWatcher> watcher;
  try {
    watcher.reset(new WalWatcher(inotify_fd, stop_fd, dir_wd, db_path, name, std::move(check), std::move(wake)));
  } catch (...) {
    // No memory: the worker polls. Nothing owns the descriptors yet.
    close_fd(inotify_fd);
    close_fd(stop_fd);
    return nullptr;
  }
  // Armed before the thread starts and before this returns: every write from
  // now on is seen. The database must be watchable; its -wal may not exist yet.
  if (!watcher->arm(true)) return nullptr;
  try {
    watcher->thread_ = std::thread([w = watcher.get()] { w->run(); });
  } catch (...) {
    return nullptr;  // no thread (std::system_error): the destructor closes both
  }
  return watcher;
}

WalWatcher::WalWatcher(int inotify_fd, int stop_fd, int dir_wd, std::string db_path, std::string db_name,
                       std::function<Verdict()> check, std::function<void()> wake)
    : inotify_fd_(inotify_fd),
      stop_fd_(stop_fd),
      dir_wd_(dir_wd),
      db_path_(std::move(db_path)),
      wal_path_(db_path_ + "-wal"),
      db_name_(std::move(db_name)),
      wal_name_(db_name_ + "-wal"),
      check_(std::move(check)),
      wake_(std::move(wake)) {}

WalWatcher::~WalWatcher() {
  if (thread_.joinable()) {
    const std::uint64_t one = 1;
    // An eventfd's counter takes billions of writes before one could block
    // or fail; this is the only one it gets.
    while (::write(stop_fd_, &one, sizeof one) < 0 && errno == EINTR) {
    }
    thread_.join();
  }
  close_fd(inotify_fd_);
  close_fd(stop_fd_);
}

bool WalWatcher::arm(bool on) {
  const std::uint32_t mask = on ? kArmed : kDisarmed;
  // A file that is not there (yet) is the directory's watch's to report.
  bool ok = inotify_add_watch(inotify_fd_, db_path_.c_str(), mask) >= 0 || errno == ENOENT;
  ok = ok && (inotify_add_watch(inotify_fd_, wal_path_.c_str(), mask) >= 0 || errno == ENOENT);
  return ok;
}

bool WalWatcher::drain(bool& watching) {
  // Room for many events: a burst costs one read.
  alignas(inotify_event) char buffer[16 * 1024];
  bool relevant = false;
  for (;;) {
    const ssize_t n = ::read(inotify_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return relevant;  // EAGAIN: nothing more queued
    for (ssize_t at = 0; at + static_cast<ssize_t>(sizeof(inotify_event)) <= n;) {
      inotify_event event;
      std::memcpy(&event, buffer + at, sizeof event);
      const char* name = buffer + at + sizeof(inotify_event);
      at += static_cast<ssize_t>(sizeof(inotify_event) + event.len);
      if ((event.mask & IN_Q_OVERFLOW) != 0) {
        relevant = true;  // events were lost: some may have been ours to see
      } else if (event.wd != dir_wd_) {
        relevant = true;  // a file's own watch: written, deleted, or its watch gone with it
      } else if ((event.mask & IN_IGNORED) != 0) {
        watching = false;  // the directory is gone: nothing more will come
      } else if (event.len != 0) {
        const std::size_t length = ::strnlen(name, event.len);
        if (db_name_.compare(0, std::string::npos, name, length) == 0 ||
            wal_name_.compare(0, std::string::npos, name, length) == 0) {
          relevant = true;  // made or moved in: its watch is set when armed next
        }
      }
    }
  }
}

void WalWatcher::run() {
  bool watching = true;
  bool pending = false;  // writes seen, not yet judged
  long settle_ns = kSettleNs;
  for (;;) {
    if (!pending || !watching) {
      pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
      if (::poll(fds, watching ? 2 : 1, -1) < 0 && errno != EINTR) return;  // cannot wait: the worker polls
      if ((fds[0].revents & POLLIN) != 0) return;
      if (!watching) continue;
      if ((fds[1].revents & (POLLERR | POLLNVAL)) != 0) return;
      if ((fds[1].revents & POLLIN) != 0) pending = drain(watching);
      if (!pending || !watching) continue;
    }
    // A commit is a burst of writes (two per page, then the commit frame),
    // and under load commits follow one another. Disarmed, they cost their
    // writers nothing while they settle; then the files are armed again
    // *before* the check, so that whatever the check does not see makes an
    // event of its own. One check, one wake at most, per settle; a wake
    // waits for the settle at most (8 ms, 1 ms after a wake).
    arm(false);
    pollfd stop{stop_fd_, POLLIN, 0};
    const timespec settle{0, settle_ns};
    if (::ppoll(&stop, 1, &settle, nullptr) > 0 && (stop.revents & POLLIN) != 0) return;
    arm(true);
    drain(watching);  // already pending: what was queued meanwhile changes nothing
    try {
      switch (check_()) {
        case Verdict::wake:
          pending = false;
          settle_ns = kSettleNs;
          wake_();
          break;
        case Verdict::quiet:
          pending = false;
          settle_ns = std::min(2 * settle_ns, kMaxSettleNs);
          break;
        case Verdict::retry: break;  // judged again after another settle
      }
    } catch (...) {
      pending = false;  // a wake that threw: nothing to carry to the host
    }
  }
}

#else  // not Linux: no watcher, the worker polls.

std::unique_ptr<WalWatcher> WalWatcher::start(const std::string&, std::function<Verdict()>,
                                              std::function<void()>) {
  return nullptr;
}

WalWatcher::~WalWatcher() = default;

#endif

}  // namespace runhooks::detail
