#pragma once
// The private PostgreSQL server the tests share (tests/postgres/cluster.sh).
// Under ctest a fixture starts it once and names its state file in
// $RUNHOOKS_TEST_POSTGRES_STATE; run by hand, the first test that needs it
// starts one for the process and stops it at exit.

#include <string>

namespace runhooks::test {

class PostgresCluster {
 public:
  static PostgresCluster& shared();

  /// A connection URI to a database of this server, with runhooks' tables in
  /// `schema` (a fresh one per test keeps tests apart).
  std::string uri(const std::string& schema) const;
  /// Restarts the server (fast shutdown): clients see their connections drop.
  void restart() const;

 private:
  PostgresCluster();
  ~PostgresCluster();
  std::string state_;
  bool owned_ = false;
  int port_ = 0;
};

/// A schema name no other test uses.
std::string unique_schema();

}  // namespace runhooks::test
