// PgConnection's pieces the PostgreSQL backend's batches rest on: arrays
// sent in PostgreSQL's binary form (PgArray) arrive as they were, and a
// prepared statement the session forgot is prepared again.

#include "storage/postgres/pg_connection.hpp"

#include "support/postgres_cluster.hpp"

#include <catch2/catch.hpp>

#include <limits>

using namespace runhooks;
using namespace runhooks::detail;
using namespace runhooks::test;

namespace {

std::unique_ptr<PgConnection> connect() {
  const std::string uri = PostgresCluster::shared().uri("public");
  auto conn = PgConnection::open(uri.substr(0, uri.find('?')), "public", std::chrono::seconds(10));
  INFO((conn ? std::string() : conn.error().message));
  REQUIRE(conn);
  return std::move(*conn);
}

// `sql` with one parameter, its one row's columns as text.
std::vector<std::optional<std::string>> row_of(PgConnection& conn, const char* sql, PgParam param, int columns) {
  auto r = conn.exec(sql, {std::move(param)});
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r);
  REQUIRE(r->rows() == 1);
  std::vector<std::optional<std::string>> values;
  for (int c = 0; c < columns; ++c) values.push_back(r->nullable_text(0, c));
  return values;
}

}  // namespace

TEST_CASE("PgArray: arrays sent in binary arrive as they were", "[postgres]") {
  auto conn = connect();
  using T = PgArray::Type;

  PgArray texts(T::text);
  for (const char* s : {"plain", "", "a \"quoted\", {braced} \\ value", "ünïcödé"}) texts.add(std::string(s));
  texts.add_null();
  CHECK(row_of(*conn, "SELECT array_length($1::text[], 1), ($1::text[])[3], ($1::text[])[5] IS NULL, ($1::text[])[2]",
               texts.param(), 4) ==
        std::vector<std::optional<std::string>>{"5", "a \"quoted\", {braced} \\ value", "t", ""});

  PgArray bytes(T::bytea);
  bytes.add(std::string("\0\xff\x01", 3));
  CHECK(row_of(*conn, "SELECT encode(($1::bytea[])[1], 'hex')", bytes.param(), 1)[0] == "00ff01");

  PgArray big(T::int8), mid(T::int4), small(T::int2), flags(T::boolean);
  big.add(std::numeric_limits<std::int64_t>::min());
  big.add(std::int64_t{1795759200000});
  mid.add(std::int64_t{-200});
  small.add(std::int64_t{2});
  flags.add(std::int64_t{1});
  flags.add(std::int64_t{0});
  auto r = conn->exec("SELECT ($1::int8[])[1], ($1::int8[])[2], ($2::int[])[1], ($3::smallint[])[1], ($4::boolean[])::text",
                      {big.param(), mid.param(), small.param(), flags.param()});
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r);
  CHECK(r->text(0, 0) == "-9223372036854775808");
  CHECK(r->text(0, 1) == "1795759200000");
  CHECK(r->text(0, 2) == "-200");
  CHECK(r->text(0, 3) == "2");
  CHECK(r->text(0, 4) == "{t,f}");

  PgArray none(T::text);  // an empty array has no dimension
  CHECK(row_of(*conn, "SELECT cardinality($1::text[])", none.param(), 1)[0] == "0");
}

TEST_CASE("a prepared statement the session forgot is prepared again", "[postgres]") {
  auto conn = connect();
  static constexpr const char* kSql = "SELECT $1::int8 + 1";
  const auto run = [&](std::int64_t n) { return conn->exec_prepared(kSql, {PgParam(n)}); };
  REQUIRE(run(1));
  REQUIRE(conn->exec_script("DISCARD ALL"));  // as a pooler's reset would
  auto again = run(2);
  INFO((again ? std::string() : again.error().message));
  REQUIRE(again);
  CHECK(again->text(0, 0) == "3");

  // Forgotten inside a transaction, the error ends it: the call fails, and
  // the next one, after the rollback, prepares it again.
  REQUIRE(conn->exec_script("BEGIN; DEALLOCATE ALL"));
  CHECK_FALSE(run(3));
  REQUIRE(conn->exec_script("ROLLBACK"));
  auto after = run(4);
  REQUIRE(after);
  CHECK(after->text(0, 0) == "5");
}
