#pragma once
// The storage backends the conformance and registry suites run against. A
// backend type has `std::shared_ptr<Storage> open()`; each instance is a fresh,
// empty store. The PostgreSQL backend joins this list when it lands.

#include "support/postgres_cluster.hpp"
#include "support/temp_dir.hpp"

#include <runhooks/storage.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <memory>

namespace runhooks::test {

struct MemoryBackend {
  std::shared_ptr<Storage> open() {
    auto store = open_storage("memory:");
    REQUIRE(store);
    return *store;
  }
};

struct SqliteBackend {
  TempDir dir;
  std::string uri() const { return "sqlite:" + dir.file("runhooks.db"); }
  std::shared_ptr<Storage> open() {
    auto store = open_storage(uri());
    REQUIRE(store);
    return *store;
  }
};

struct PostgresBackend {
  std::string schema = unique_schema();
  std::string uri() const { return PostgresCluster::shared().uri(schema); }
  std::shared_ptr<Storage> open() {
    auto store = open_storage(uri());
    INFO((store ? std::string() : store.error().message));
    REQUIRE(store);
    return *store;
  }
};

/// A clock the test moves by hand.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp start) : ms_(start.time_since_epoch().count()) {}
  Timestamp now() const override { return Timestamp(std::chrono::milliseconds(ms_.load())); }
  void advance(std::chrono::milliseconds by) { ms_ += by.count(); }

 private:
  std::atomic<std::int64_t> ms_;
};

}  // namespace runhooks::test
