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

namespace {
// Network byte order, as PostgreSQL's binary formats are.
void put_be(std::string& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}
}  // namespace

void PgArray::add(std::string_view bytes) {
  put_be(elements_, bytes.size(), 4);
  elements_.append(bytes);
  ++count_;
}

void PgArray::add(std::int64_t value) {
  const int width = type_ == Type::boolean ? 1 : type_ == Type::int2 ? 2 : type_ == Type::int4 ? 4 : 8;
  put_be(elements_, static_cast<std::uint32_t>(width), 4);
  put_be(elements_, static_cast<std::uint64_t>(value), width);
  ++count_;
}

void PgArray::add_null() {
  put_be(elements_, 0xffffffffu, 4);  // length -1
  nulls_ = true;
  ++count_;
}

PgParam PgArray::param() const {
  // ndim, has-nulls flag, element type, then per dimension its length and
  // lower bound; an empty array has no dimension.
  std::string out;
  put_be(out, count_ == 0 ? 0 : 1, 4);
  put_be(out, nulls_ ? 1 : 0, 4);
  put_be(out, static_cast<std::uint32_t>(type_), 4);
  if (count_ != 0) {
    put_be(out, static_cast<std::uint32_t>(count_), 4);
    put_be(out, 1, 4);
  }
  return PgParam::bytes(out + elements_);
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
  prepared_.clear();  // the server forgot them with the old session
  return healthy() && run_setup().ok();
}

namespace {

struct ParamArrays {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  explicit ParamArrays(const std::vector<PgParam>& params) {
    for (const PgParam& p : params) {
      values.push_back(p.value ? p.value->data() : nullptr);
      lengths.push_back(p.value ? static_cast<int>(p.value->size()) : 0);
      formats.push_back(p.binary ? 1 : 0);
    }
  }
};

Result<PgResult> take_result(PGconn* conn, PGresult* r) {
  const ExecStatusType status = PQresultStatus(r);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return PgResult(r);
  Error error = pg_error(conn, r, "running a query");
  PQclear(r);
  return error;
}

}  // namespace

Result<PgResult> PgConnection::exec(const char* sql, const std::vector<PgParam>& params) {
  const ParamArrays p(params);
  return take_result(conn_.get(), PQexecParams(conn_.get(), sql, static_cast<int>(params.size()), nullptr,
                                               p.values.data(), p.lengths.data(), p.formats.data(), 0));
}

Result<PgResult> PgConnection::exec_prepared(const char* sql, const std::vector<PgParam>& params) {
  for (int tries = 0;; ++tries) {
    auto found = prepared_.find(sql);
    if (found == prepared_.end()) {
      const std::string name = "runhooks_" + std::to_string(++statements_made_);
      auto made = take_result(conn_.get(), PQprepare(conn_.get(), name.c_str(), sql, 0, nullptr));
      if (!made) return std::move(made).error();
      found = prepared_.emplace(sql, name).first;
    }
    const ParamArrays p(params);
    PGresult* r = PQexecPrepared(conn_.get(), found->second.c_str(), static_cast<int>(params.size()),
                                 p.values.data(), p.lengths.data(), p.formats.data(), 0);
    // The session forgot it (DISCARD ALL, or a pooler that moved this
    // client to another server connection): prepared again, and run again
    // unless that error ended a transaction under way.
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (state != nullptr && std::strcmp(state, "26000") == 0) {
      prepared_.erase(found);
      if (tries == 0 && PQtransactionStatus(conn_.get()) == PQTRANS_IDLE) {
        PQclear(r);
        continue;
      }
    }
    return take_result(conn_.get(), r);
  }
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
