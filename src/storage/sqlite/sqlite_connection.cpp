#include "storage/sqlite/sqlite_connection.hpp"

namespace runhooks::detail {

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xFF;
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string message = std::string(what) + ": " + detail;
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error{ErrorCode::unavailable, {},
                   message + " (another connection holds the lock past the busy timeout)"};
    case SQLITE_CONSTRAINT:
      return Error{ErrorCode::conflict, {}, message};
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return Error{ErrorCode::internal, {}, message + " (not a runhooks database, or corrupt)"};
    case SQLITE_READONLY:
      return Error{ErrorCode::internal, {}, message + " (the store is read-only)"};
    default:
      return Error{ErrorCode::internal, {}, message};
  }
}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Statement& Statement::bind(int index, std::string_view text) {
  const int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                     SQLITE_UTF8);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  const int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}

Statement& Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}

Statement& Statement::bind_nullable(int index, const std::optional<std::string>& text) {
  return text ? bind(index, std::string_view(*text)) : bind_null(index);
}

Result<bool> Statement::step() {
  if (bind_error_ != SQLITE_OK) {
    return sqlite_error(connection_->handle(), bind_error_, "binding a parameter");
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(connection_->handle(), rc, "running a statement");
}

Result<void> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return std::move(row).error();
    if (!*row) {
      sqlite3_reset(stmt_);  // ready to be bound and run again
      return {};
    }
  }
}

std::int64_t Statement::column_int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::column_text(int column) const {
  const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  return bytes != nullptr ? std::string(bytes, static_cast<std::size_t>(size)) : std::string();
}

std::optional<std::string> Statement::column_nullable_text(int column) const {
  if (column_is_null(column)) return std::nullopt;
  return column_text(column);
}

bool Statement::column_is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(const std::string& path,
                                                                bool read_only) {
  sqlite3* raw = nullptr;
  const int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<SqliteConnection> connection(new SqliteConnection(raw));
  if (rc != SQLITE_OK) {
    return sqlite_error(raw, rc, "opening sqlite database '" + path + "'");
  }
  sqlite3_extended_result_codes(raw, 1);
  return connection;
}

Result<Statement> SqliteConnection::prepare(const char* sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    if (rc != SQLITE_OK) return sqlite_error(db_.get(), rc, "preparing a statement");
    found = statements_.emplace(sql, std::unique_ptr<sqlite3_stmt, SqliteFinalizer>(raw)).first;
  }
  return Statement(*this, found->second.get());
}

Result<void> SqliteConnection::exec(const char* sql) {
  const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(db_.get(), rc, "executing sql");
  return {};
}

std::int64_t SqliteConnection::changes() const { return sqlite3_changes64(db_.get()); }

Result<Transaction> Transaction::begin(SqliteConnection& connection, Kind kind) {
  auto begun = connection.exec(kind == Kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  if (!begun) return std::move(begun).error();
  return Transaction(connection);
}

Transaction::~Transaction() {
  if (!done_) (void)connection_->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  auto committed = connection_->exec("COMMIT");
  if (committed) done_ = true;
  return committed;
}

}  // namespace runhooks::detail
