#pragma once
// RAII over the SQLite C API: a connection that caches its prepared
// statements, statements that reset themselves, and transactions that roll
// back unless committed. Not thread-safe: SqliteStorage serializes access.

#include <runhooks/error.hpp>

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace runhooks::detail {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct SqliteFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};

/// A runhooks Error for SQLite result code `rc` while doing `what`:
/// busy/locked -> unavailable, constraint -> conflict, anything else -> internal.
Error sqlite_error(sqlite3* db, int rc, std::string_view what);

class SqliteConnection;

/// One use of a cached prepared statement. Binds by 1-based index; resets
/// and clears its bindings when it goes out of scope, so the next use of the
/// same SQL starts clean.
class Statement {
 public:
  Statement(SqliteConnection& connection, sqlite3_stmt* stmt)
      : connection_(&connection), stmt_(stmt) {}
  Statement(Statement&& other) noexcept
      : connection_(other.connection_), stmt_(other.stmt_), bind_error_(other.bind_error_) {
    other.stmt_ = nullptr;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);
  Statement& bind_nullable(int index, const std::optional<std::string>& text);

  /// Steps once: true with a row, false when done; an error otherwise.
  Result<bool> step();
  /// Steps to the end (for statements that return no rows), then resets so
  /// the statement can be bound and run again in a loop.
  Result<void> run();

  std::int64_t column_int(int column) const;
  std::string column_text(int column) const;
  std::optional<std::string> column_nullable_text(int column) const;
  bool column_is_null(int column) const;

  // The Row interface of storage/row_readers.hpp.
  std::string text(int column) const { return column_text(column); }
  std::optional<std::string> nullable_text(int column) const { return column_nullable_text(column); }
  std::int64_t integer(int column) const { return column_int(column); }
  bool boolean(int column) const { return column_int(column) != 0; }
  bool is_null(int column) const { return column_is_null(column); }
  std::string bytes(int column) const { return column_text(column); }

 private:
  SqliteConnection* connection_;
  sqlite3_stmt* stmt_;
  int bind_error_ = SQLITE_OK;
};

/// An open database file.
class SqliteConnection {
 public:
  /// Opens (and with `create`, creates) `path`. Read-only when `read_only`.
  static Result<std::unique_ptr<SqliteConnection>> open(const std::string& path, bool read_only);

  sqlite3* handle() const noexcept { return db_.get(); }

  /// A statement for `sql`, prepared on first use and reused after. `sql`
  /// must outlive the connection (a string literal): it keys the cache.
  Result<Statement> prepare(const char* sql);

  /// Runs one or more statements without results (DDL, PRAGMA, BEGIN ...).
  Result<void> exec(const char* sql);

  /// Rows changed by the last INSERT/UPDATE/DELETE.
  std::int64_t changes() const;

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}

  std::unique_ptr<sqlite3, SqliteCloser> db_;
  std::unordered_map<const char*, std::unique_ptr<sqlite3_stmt, SqliteFinalizer>> statements_;
};

/// BEGIN IMMEDIATE (writers) or DEFERRED (readers) ... ROLLBACK unless
/// `commit()` succeeded.
class Transaction {
 public:
  enum class Kind { deferred, immediate };

  static Result<Transaction> begin(SqliteConnection& connection, Kind kind);
  Transaction(Transaction&& other) noexcept : connection_(other.connection_), done_(other.done_) {
    other.done_ = true;
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  Result<void> commit();

 private:
  explicit Transaction(SqliteConnection& connection) : connection_(&connection) {}

  SqliteConnection* connection_;
  bool done_ = false;
};

}  // namespace runhooks::detail
