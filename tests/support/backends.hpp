#pragma once
// The storage backends the conformance and registry suites run against. A
// backend type has `std::shared_ptr<Storage> open()`; each instance is a fresh,
// empty store. RUNHOOKS_TEST_BACKENDS lists them for TEMPLATE_TEST_CASE:
// PostgresBackend is among them only when runhooks is built with PostgreSQL
// (tests/CMakeLists.txt sets RUNHOOKS_TEST_POSTGRES to RUNHOOKS_WITH_POSTGRES),
// so a build without it registers no PostgreSQL test.

#include "support/temp_dir.hpp"
#ifndef RUNHOOKS_TEST_POSTGRES
#error "RUNHOOKS_TEST_POSTGRES (0 or 1) comes from tests/CMakeLists.txt"
#endif
#if RUNHOOKS_TEST_POSTGRES
#include "support/postgres_cluster.hpp"
#endif

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

#if RUNHOOKS_TEST_POSTGRES
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

#define RUNHOOKS_TEST_BACKENDS MemoryBackend, SqliteBackend, PostgresBackend
#else
#define RUNHOOKS_TEST_BACKENDS MemoryBackend, SqliteBackend
#endif

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
