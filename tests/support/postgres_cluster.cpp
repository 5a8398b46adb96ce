#include "support/postgres_cluster.hpp"

#include "support/process.hpp"

#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>
#include <unistd.h>

namespace runhooks::test {

namespace {
int read_port(const std::string& state) {
  std::ifstream in(state);
  std::string dir;
  int port = 0;
  in >> dir >> port;
  if (port == 0) throw std::runtime_error("no running test PostgreSQL in " + state);
  return port;
}
}  // namespace

PostgresCluster& PostgresCluster::shared() {
  static PostgresCluster cluster;
  return cluster;
}

PostgresCluster::PostgresCluster() {
  if (const char* state = std::getenv("RUNHOOKS_TEST_POSTGRES_STATE"); state != nullptr && *state != '\0' &&
                                                                       access(state, R_OK) == 0) {
    state_ = state;
  } else {
    state_ = "/tmp/runhooks-test-pg-" + std::to_string(getpid()) + ".state";
    const auto started = run_process({"/bin/sh", RUNHOOKS_PG_CLUSTER_SCRIPT, "start", state_});
    if (started.exit_code != 0) throw std::runtime_error("cannot start PostgreSQL: " + started.err);
    owned_ = true;
  }
  port_ = read_port(state_);
}

PostgresCluster::~PostgresCluster() {
  if (owned_) run_process({"/bin/sh", RUNHOOKS_PG_CLUSTER_SCRIPT, "stop", state_});
}

std::string PostgresCluster::uri(const std::string& schema) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres?runhooks_schema=" + schema;
}

void PostgresCluster::restart() const {
  const auto restarted = run_process({"/bin/sh", RUNHOOKS_PG_CLUSTER_SCRIPT, "restart", state_});
  if (restarted.exit_code != 0) throw std::runtime_error("cannot restart PostgreSQL: " + restarted.err);
}

std::string unique_schema() {
  static std::mt19937_64 rng{std::random_device{}()};
  return "t_" + std::to_string(getpid()) + "_" + std::to_string(rng() % 1000000000);
}

}  // namespace runhooks::test
