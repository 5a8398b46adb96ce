#pragma once
// Keeps a SQLite file's WAL short, on a thread and a connection of its own, so
// no commit on a caller's path pays for copying the WAL into the database
// (SQLite's automatic checkpoint would, every 1000 pages).
//
// Woken by the writing connection's WAL hook once the WAL holds enough
// frames. A PASSIVE checkpoint copies without blocking anyone, and the next
// write after one that copied everything starts the WAL over. Under a steady
// stream of commits that never happens (each pass misses the commits made
// while it ran), so once the WAL passes `wal_catch_up_frames` the last few
// frames are copied while this process's writers are held back (so the WAL
// peaks somewhat above that: what is written while the passes run).

#include <runhooks/storage.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace runhooks::detail {

class WalCheckpointer {
 public:
  /// Watches the writing connection `writer` (its WAL hook, until destroyed);
  /// `writers` is the mutex every write transaction of this process holds.
  WalCheckpointer(const std::string& path, const StorageOptions& options, sqlite3* writer,
                  std::mutex& writers);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

 private:
  static int on_commit(void* self, sqlite3* db, const char* name, int frames);
  void run(const std::string& path);
  /// One round; false when the connection turned out not to have the WAL open.
  bool checkpoint(sqlite3* db);

  const int wake_frames_;      ///< a commit leaving this many frames wakes us
  const int catch_up_frames_;  ///< past this, our writers wait for the last frames
  const int restart_frames_;   ///< past this, other processes' writers wait too
  sqlite3* const writer_;
  std::mutex& writers_;
  std::chrono::steady_clock::time_point next_restart_{};  ///< after a RESTART gave up
  std::atomic<bool> requested_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace runhooks::detail
