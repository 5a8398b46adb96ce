#pragma once
// RAII over libpq: connections with their session set up, results, a small
// pool that reconnects after the server went away, and transactions that roll
// back unless committed. Every query is parameterized (PQexecParams).

#include <runhooks/error.hpp>

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace runhooks::detail {

struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};

/// A query result: rows of text values (bytea columns are unescaped by `bytes`).
class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result) {}
  int rows() const { return PQntuples(result_.get()); }
  bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string text(int row, int column) const;
  std::optional<std::string> nullable_text(int row, int column) const;
  std::int64_t integer(int row, int column) const;
  std::string bytes(int row, int column) const;  ///< a bytea column
  std::int64_t affected() const;                 ///< rows changed by INSERT/UPDATE/DELETE

 private:
  std::unique_ptr<PGresult, PgResultDeleter> result_;
};

/// A parameter: text, or bytes sent as binary (for bytea), or SQL NULL.
struct PgParam {
  std::optional<std::string> value;
  bool binary = false;

  PgParam() = default;  // NULL
  PgParam(std::string text) : value(std::move(text)) {}
  PgParam(const char* text) : value(std::string(text)) {}
  PgParam(std::int64_t number) : value(std::to_string(number)) {}
  PgParam(const std::optional<std::string>& text) : value(text) {}
  static PgParam bytes(std::string data) {
    PgParam p(std::move(data));
    p.binary = true;
    return p;
  }
};

/// An array parameter in PostgreSQL's binary form, which the server reads
/// without parsing (array_recv): what a batch sends, where parsing text
/// literals (array_in, and bytea's hex) was a tenth of the server's time.
/// The statement must give the parameter this element type (`$1::int8[]`).
class PgArray {
 public:
  enum class Type : std::uint32_t {  // pg_type OIDs
    boolean = 16,
    bytea = 17,
    int8 = 20,
    int2 = 21,
    int4 = 23,
    text = 25,
  };
  explicit PgArray(Type type) : type_(type) {}
  /// A text or bytea element, as its bytes.
  void add(std::string_view bytes);
  /// A boolean or integer element, as wide as the type.
  void add(std::int64_t value);
  void add_null();
  PgParam param() const;

 private:
  Type type_;
  std::string elements_;
  std::int32_t count_ = 0;
  bool nulls_ = false;
};

/// A Postgres array literal of text items: {"a","b"}.
std::string pg_text_array(const std::vector<std::string>& items);
/// The same with NULL elements (nullopt), for arrays of nullable values.
std::string pg_nullable_array(const std::vector<std::optional<std::string>>& items);

class PgConnection {
 public:
  /// Connects with `conninfo` and sets the session: search_path to `schema`,
  /// statement_timeout.
  static Result<std::unique_ptr<PgConnection>> open(const std::string& conninfo, const std::string& schema,
                                                    std::chrono::milliseconds statement_timeout);
  PGconn* handle() const { return conn_.get(); }
  bool healthy() const { return PQstatus(conn_.get()) == CONNECTION_OK; }
  /// Reconnects after the server went away; false when it is still away.
  bool reset();

  /// One statement, parameterized.
  Result<PgResult> exec(const char* sql, const std::vector<PgParam>& params = {});
  /// The same, prepared on this connection at its first use and reused
  /// after: parsed once, and planned once when PostgreSQL settles on a
  /// generic plan. For the statements every delivery runs, whose plan does
  /// not depend on the values. `sql` must be a string literal: its address
  /// is the statement's key. A session that lost it is given it again.
  /// Behind a connection pooler in transaction mode, the pooler must keep
  /// prepared statements (PgBouncer 1.21's max_prepared_statements).
  Result<PgResult> exec_prepared(const char* sql, const std::vector<PgParam>& params = {});
  /// Several statements without parameters (schema migrations).
  Result<void> exec_script(const std::string& sql);

 private:
  struct Closer {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  explicit PgConnection(PGconn* conn, std::string setup) : conn_(conn), setup_(std::move(setup)) {}
  Result<void> run_setup();

  std::unique_ptr<PGconn, Closer> conn_;
  std::string setup_;  // SET commands run on every (re)connect
  // The statements prepared on this session, by their text's address; a
  // new session (reset) has none. Names are never reused.
  std::unordered_map<const char*, std::string> prepared_;
  std::uint64_t statements_made_ = 0;
};

/// A few connections shared by threads. `acquire` waits for a free one and
/// reconnects it if the server went away.
class PgPool {
 public:
  PgPool(std::string conninfo, std::string schema, std::chrono::milliseconds statement_timeout, std::size_t size)
      : conninfo_(std::move(conninfo)), schema_(std::move(schema)), timeout_(statement_timeout), size_(size) {}

  class Lease {
   public:
    Lease(PgPool& pool, std::unique_ptr<PgConnection> conn) : pool_(&pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    PgConnection& operator*() const { return *conn_; }
    PgConnection* operator->() const { return conn_.get(); }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  Result<Lease> acquire();

 private:
  void give_back(std::unique_ptr<PgConnection> conn);

  std::string conninfo_;
  std::string schema_;
  std::chrono::milliseconds timeout_;
  std::size_t size_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  std::size_t open_ = 0;
};

/// BEGIN ... ROLLBACK unless `commit()` succeeded.
class PgTransaction {
 public:
  static Result<PgTransaction> begin(PgConnection& conn);
  PgTransaction(PgTransaction&& other) noexcept : conn_(other.conn_), done_(other.done_) { other.done_ = true; }
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  PgTransaction& operator=(PgTransaction&&) = delete;
  ~PgTransaction();
  Result<void> commit();

 private:
  explicit PgTransaction(PgConnection& conn) : conn_(&conn) {}
  PgConnection* conn_;
  bool done_ = false;
};

/// A quoted SQL identifier: "name" with quotes doubled.
std::string pg_identifier(std::string_view name);

}  // namespace runhooks::detail
