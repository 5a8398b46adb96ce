#include "storage/sqlite/wal_checkpointer.hpp"

#include "storage/sqlite/sqlite_connection.hpp"

#include <sqlite3.h>

#include <algorithm>

namespace runhooks::detail {

namespace {

// A checkpoint costs two fsyncs however little it copies: at most this often.
constexpr std::chrono::milliseconds kMinInterval{20};
// And at least this often, in case a wake-up was missed or another process wrote.
constexpr std::chrono::milliseconds kMaxInterval{1000};
// How long a RESTART may hold every writer back waiting for readers, and how
// long after one that gave up (a reader holding an old snapshot) before the next.
constexpr int kRestartWaitMs = 20;
constexpr std::chrono::milliseconds kRestartBackoff{1000};
// Keeps 4 * frames within an int.
constexpr int kMaxCatchUpFrames = 1 << 28;

// A connection that has read nothing has not opened the WAL yet, and a
// checkpoint on it does nothing at all (saying so only with -1s).
bool open_wal(SqliteConnection& connection) {
  return static_cast<bool>(connection.exec("SELECT count(*) FROM sqlite_master"));
}

}  // namespace

WalCheckpointer::WalCheckpointer(const std::string& path, const StorageOptions& options,
                                 sqlite3* writer, std::mutex& writers)
    : wake_frames_(std::clamp(options.wal_catch_up_frames / 4, 16, 1000)),
      catch_up_frames_(std::clamp(options.wal_catch_up_frames, 16, kMaxCatchUpFrames)),
      restart_frames_(4 * catch_up_frames_),
      writer_(writer),
      writers_(writers) {
  thread_ = std::thread([this, path] { run(path); });
  sqlite3_wal_hook(writer_, &WalCheckpointer::on_commit, this);
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_hook(writer_, nullptr, nullptr);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

int WalCheckpointer::on_commit(void* self, sqlite3*, const char*, int frames) {
  auto* checkpointer = static_cast<WalCheckpointer*>(self);
  // Called after every commit, with the writer's lock held: only a flag and,
  // once per request, a notify.
  if (frames >= checkpointer->wake_frames_ && !checkpointer->requested_.exchange(true)) {
    std::lock_guard lock(checkpointer->mutex_);
    checkpointer->wake_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpointer::run(const std::string& path) {
  // A failure to open only means the WAL grows until the file is next opened;
  // the storage itself works on.
  auto connection = SqliteConnection::open(path, false);
  if (!connection) return;
  sqlite3* db = (*connection)->handle();
  // Only a RESTART waits, and not for long: it holds every writer back.
  sqlite3_busy_timeout(db, kRestartWaitMs);
  bool wal_open = open_wal(**connection);
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, kMaxInterval, [this] { return stopping_ || requested_.load(); });
    if (stopping_) break;
    requested_ = false;
    lock.unlock();
    if (!wal_open) wal_open = open_wal(**connection);
    if (wal_open) wal_open = checkpoint(db);
    std::this_thread::sleep_for(kMinInterval);
    lock.lock();
  }
}

bool WalCheckpointer::checkpoint(sqlite3* db) {
  int frames = 0;
  int copied = 0;
  const int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
  if (rc == SQLITE_OK && frames < 0) return false;  // the WAL is not open: read first
  if (rc != SQLITE_OK) return true;  // busy (another checkpoint) or an error: next time
  // Again while much was appended during the last pass, so that what is left
  // for the catch-up below is little.
  int appended = frames;
  for (int pass = 0; pass < 2 && appended > wake_frames_; ++pass) {
    const int before = frames;
    sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
    appended = frames - before;
  }
  if (frames >= restart_frames_ || (frames >= catch_up_frames_ && appended <= wake_frames_)) {
    // With this process's writers held back, a pass copies every frame, and
    // the next write starts the WAL over. They wait for the few frames left
    // and two fsyncs; if a reader of another process holds an older
    // snapshot, nothing past it can be copied, and the pass is over at once.
    std::lock_guard hold(writers_);
    sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
  }
  const auto now = std::chrono::steady_clock::now();
  if (frames >= restart_frames_ && now >= next_restart_) {
    // Still this large: another process keeps writing, or keeps an old
    // snapshot. A RESTART holds every writer back, for at most
    // kRestartWaitMs; if that is not enough, not again for a while.
    if (sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_RESTART, nullptr, nullptr) != SQLITE_OK) {
      next_restart_ = now + kRestartBackoff;
    }
  }
  return true;
}

}  // namespace runhooks::detail
