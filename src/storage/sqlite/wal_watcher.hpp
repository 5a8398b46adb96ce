#pragma once
// Tells a worker that another process wrote a SQLite file, so that it need
// not wait for its next poll (Storage::subscribe_enqueues).
//
// Linux only (inotify): one thread and two file descriptors per watcher, both
// close-on-exec — an inotify instance, and an eventfd that stops the
// thread's poll(). The instance watches the database file and its `-wal`
// for writes (in WAL mode every commit appends to the `-wal`), and their
// directory for a `-wal` made anew (SQLite deletes it with the last
// connection). Each burst of writes is judged once it has settled (1 ms),
// by `check`, on the watcher's thread: wake (another connection committed,
// or is committing), stay quiet (the writes were this process's own), or
// ask again after another settle (it could not tell yet). While a burst
// settles the files' watches are disarmed, so that writers do not pay for
// an event per write. Elsewhere, and when inotify cannot be set up, `start`
// returns null and the worker polls.

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace runhooks::detail {

class WalWatcher {
 public:
  enum class Verdict { wake, quiet, retry };

  /// Watches the database file `db_path` (absolute, as SQLite names it).
  /// `check` and `wake` are called on the watcher's thread only, never after
  /// the watcher is destroyed. Null when the watch cannot be set up.
  static std::unique_ptr<WalWatcher> start(const std::string& db_path, std::function<Verdict()> check,
                                           std::function<void()> wake);

  /// Stops and joins the thread, and closes both descriptors.
  ~WalWatcher();
  WalWatcher(const WalWatcher&) = delete;
  WalWatcher& operator=(const WalWatcher&) = delete;

 private:
  WalWatcher(int inotify_fd, int stop_fd, int dir_wd, std::string db_path, std::string db_name,
             std::function<Verdict()> check, std::function<void()> wake);
  void run();
  /// Sets the files' watches: every write an event, or none. False when a
  /// watch could not be set (a file that does not exist is fine).
  bool arm(bool on);
  /// Reads every queued event: whether one was about the database's files.
  /// Sets `watching` false when the directory's watch is gone (removed).
  bool drain(bool& watching);

  const int inotify_fd_;
  const int stop_fd_;
  const int dir_wd_;
  const std::string db_path_;
  const std::string wal_path_;
  const std::string db_name_;  ///< the database's file name, without its directory
  const std::string wal_name_;
  std::function<Verdict()> check_;
  std::function<void()> wake_;
  std::thread thread_;
};

}  // namespace runhooks::detail
