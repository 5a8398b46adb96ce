#include "support/sqlite_file.hpp"

#include <sqlite3.h>

#include <chrono>
#include <memory>
#include <thread>

namespace runhooks::test {

namespace {

struct Closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, Closer>;

Connection open_existing(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  Connection db(raw);
  if (rc != SQLITE_OK) return nullptr;
  sqlite3_busy_timeout(raw, 10000);
  return db;
}

}  // namespace

std::string integrity_check(const std::string& path) {
  Connection db = open_existing(path);
  if (!db) return "cannot open " + path;
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db.get(), "PRAGMA integrity_check", -1, &raw, nullptr) != SQLITE_OK) {
    return std::string("cannot prepare integrity_check: ") + sqlite3_errmsg(db.get());
  }
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw, &sqlite3_finalize);
  std::string report;
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    if (!report.empty()) report += "\n";
    report += reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
  }
  if (rc != SQLITE_DONE) return report + "\nintegrity_check failed: " + sqlite3_errmsg(db.get());
  return report;
}

std::int64_t query_int(const std::string& path, const std::string& sql) {
  Connection db = open_existing(path);
  if (!db) return -1;
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) return -1;
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw, &sqlite3_finalize);
  if (sqlite3_step(raw) != SQLITE_ROW) return -1;
  return sqlite3_column_int64(raw, 0);
}

bool checkpoint_truncate(const std::string& path) {
  Connection db = open_existing(path);
  if (!db) return false;
  // A connection that has read nothing has not opened the WAL: its
  // checkpoints do nothing.
  if (sqlite3_exec(db.get(), "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return false;
  }
  // A checkpoint asked while another connection checkpoints is refused at
  // once (no busy handler for that): try again for a while.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    int frames = -1, copied = -1;
    const int rc = sqlite3_wal_checkpoint_v2(db.get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, &frames, &copied);
    if (rc == SQLITE_OK && frames == 0) return true;
    if (std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool write_lock_free(const std::string& path) {
  Connection db = open_existing(path);
  if (!db) return false;
  sqlite3_busy_timeout(db.get(), 0);
  if (sqlite3_exec(db.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return false;
  sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  return true;
}

}  // namespace runhooks::test
