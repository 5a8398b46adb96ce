#include "storage/postgres/pg_connection.hpp"

#include <cstdlib>
#include <cstring>

namespace runhooks::detail {

namespace {

// SQLSTATE classes and codes that mean "try again" or "conflict".
Error pg_error(PGconn* conn, const PGresult* result, std::string_view what) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string code = state != nullptr ? state : "";
  std::string detail = result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn);
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
  std::string message = std::string(what) + ": " + detail;
  if (PQstatus(conn) != CONNECTION_OK || code.rfind("08", 0) == 0 || code == "57P01" || code == "57P02" ||
      code == "57P03") {
    return Error{ErrorCode::unavailable, {}, message + " (the database connection was lost)"};
  }
  if (code == "40001" || code == "40P01" || code == "55P03" || code == "57014") {
    return Error{ErrorCode::unavailable, {}, message};
  }
  if (code == "23505") return Error{ErrorCode::conflict, {}, message};
  return Error{ErrorCode::internal, {}, message};
}

}  // namespace

std::string PgResult::text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::optional<std::string> PgResult::nullable_text(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return text(row, column);
}

std::int64_t PgResult::integer(int row, int column) const {
  return std::strtoll(PQgetvalue(result_.get(), row, column), nullptr, 10);
}

std::string PgResult::bytes(int row, int column) const {
  std::size_t length = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result_.get(), row, column)),
                                       &length);
  if (raw == nullptr) return {};
  std::string data(reinterpret_cast<const char*>(raw), length);
  PQfreemem(raw);
  return data;
}

std::int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(result_.get());
  return n != nullptr && *n != '\0' ? std::strtoll(n, nullptr, 10) : 0;
}

std::string pg_text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string pg_nullable_array(const std::vector<std::optional<std::string>>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out += ',';
    if (!items[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : *items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string pg_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

Result<std::unique_ptr<PgConnection>> PgConnection::open(const std::string& conninfo, const std::string& schema,
                                                         std::chrono::milliseconds statement_timeout) {
  PGconn* raw = PQconnectdb(conninfo.c_str());
  std::string setup = "SET search_path TO " + pg_identifier(schema) +
                      "; SET statement_timeout = " + std::to_string(statement_timeout.count()) +
                      "; SET client_min_messages = warning";
  std::unique_ptr<PgConnection> conn(new PgConnection(raw, std::move(setup)));
  if (raw == nullptr || PQstatus(raw) != CONNECTION_OK) {
    std::string detail = raw != nullptr ? PQerrorMessage(raw) : "out of memory";
    while (!detail.empty() && detail.back() == '\n') detail.pop_back();
    return Error{ErrorCode::unavailable, {}, "cannot connect to PostgreSQL: " + detail};
  }
  if (auto ready = conn->run_setup(); !ready) return std::move(ready).error();
  return conn;
}

Result<void> PgConnection::run_setup() {
  PGresult* r = PQexec(conn_.get(), setup_.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  Error error = ok ? Error{} : pg_error(conn_.get(), r, "setting up the session");
  PQclear(r);
  if (!ok) return error;
  return {};
}

bool PgConnection::reset() {
  PQreset(conn_.get());
  return healthy() && run_setup().ok();
}

Result<PgResult> PgConnection::exec(const char* sql, const std::vector<PgParam>& params) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const PgParam& p : params) {
    values.push_back(p.value ? p.value->data() : nullptr);
    lengths.push_back(p.value ? static_cast<int>(p.value->size()) : 0);
    formats.push_back(p.binary ? 1 : 0);
  }
  PGresult* r = PQexecParams(conn_.get(), sql, static_cast<int>(params.size()), nullptr, values.data(),
                             lengths.data(), formats.data(), 0);
  const ExecStatusType status = PQresultStatus(r);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return PgResult(r);
  Error error = pg_error(conn_.get(), r, "running a query");
  PQclear(r);
  return error;
}

Result<void> PgConnection::exec_script(const std::string& sql) {
  PGresult* r = PQexec(conn_.get(), sql.c_str());
  const ExecStatusType status = PQresultStatus(r);
  Error error = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ? Error{} : pg_error(conn_.get(), r, "running a script");
  PQclear(r);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return error;
  return {};
}

PgPool::Lease::~Lease() {
  if (conn_) pool_->give_back(std::move(conn_));
}

Result<PgPool::Lease> PgPool::acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
  std::unique_ptr<PgConnection> conn;
  if (!idle_.empty()) {
    conn = std::move(idle_.back());
    idle_.pop_back();
  } else {
    ++open_;
    lock.unlock();
    auto opened = PgConnection::open(conninfo_, schema_, timeout_);
    if (!opened) {
      std::lock_guard relock(mutex_);
      --open_;
      available_.notify_one();
      return std::move(opened).error();
    }
    return Lease(*this, std::move(*opened));
  }
  lock.unlock();
  // A connection broken by a server restart is reconnected here, once per
  // call; if the server is still away, the call fails with `unavailable`.
  if (!conn->healthy() && !conn->reset()) {
    give_back(std::move(conn));
    return Error{ErrorCode::unavailable, {}, "cannot reach PostgreSQL (reconnecting)"};
  }
  return Lease(*this, std::move(conn));
}

void PgPool::give_back(std::unique_ptr<PgConnection> conn) {
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(conn));
  available_.notify_one();
}

Result<PgTransaction> PgTransaction::begin(PgConnection& conn) {
  auto begun = conn.exec("BEGIN");
  if (!begun) return std::move(begun).error();
  return PgTransaction(conn);
}

PgTransaction::~PgTransaction() {
  if (!done_) (void)conn_->exec("ROLLBACK");
}

Result<void> PgTransaction::commit() {
  auto committed = conn_->exec("COMMIT");
  done_ = true;  // after a failed COMMIT the transaction is over either way
  if (!committed) return std::move(committed).error();
  return {};
}

}  // namespace runhooks::detail
