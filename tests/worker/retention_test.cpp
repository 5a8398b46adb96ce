// Retention: attempts purged hourly, finished events in batches.

#include <runhooks/runhooks.hpp>

#include "worker/retention.hpp"

#include <catch2/catch.hpp>

using namespace runhooks;
using namespace runhooks::detail;
using namespace std::chrono_literals;

namespace {

const Timestamp kT0 = Timestamp(1795759200000ms);

class CountingPurges final : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  Result<std::size_t> purge_attempts(Timestamp before) override {
    attempt_cutoffs.push_back(before);
    return StorageWrapper::purge_attempts(before);
  }
  Result<std::size_t> purge_events(Timestamp before, std::size_t limit) override {
    ++event_purges;
    if (failing) return Error{ErrorCode::unavailable, {}, "database is locked"};
    return StorageWrapper::purge_events(before, limit);
  }
  std::vector<Timestamp> attempt_cutoffs;
  int event_purges = 0;
  bool failing = false;
};

std::shared_ptr<CountingPurges> store_with_events(int events, Timestamp at) {
  auto store = std::make_shared<CountingPurges>(*open_storage("memory:"));
  for (int i = 0; i < events; ++i) {
    OutboxEvent event;
    event.event_id = "e" + std::to_string(i);
    event.project_id = "p";  // no hook: nothing to deliver, done at once
    event.payload = "{}";
    event.created_at = at;
    REQUIRE(store->enqueue(event));
  }
  return store;
}

}  // namespace

TEST_CASE("attempts are purged hourly, older than their retention", "[retention]") {
  auto store = store_with_events(0, kT0);
  Retention retention(*store, 24h, 0ms);
  const auto ignore = [](Error) {};
  retention.run(kT0, ignore);
  retention.run(kT0 + 59min, ignore);
  retention.run(kT0 + 60min, ignore);
  CHECK(store->attempt_cutoffs == std::vector<Timestamp>{kT0 - 24h, kT0 + 60min - 24h});
  CHECK(store->event_purges == 0);  // a zero retention keeps events
}

TEST_CASE("finished events go in batches, one per run while there is more", "[retention]") {
  auto store = store_with_events(Retention::kEventBatch + 10, kT0);
  Retention retention(*store, 0ms, 24h);
  const auto ignore = [](Error) {};
  const auto kept = [&] {
    std::size_t n = 0;
    for (std::size_t i = 0; i < Retention::kEventBatch + 10; ++i) if (store->get_event("e" + std::to_string(i))) ++n;
    return n;
  };
  retention.run(kT0 + 25h, ignore);  // a full batch: more may wait
  CHECK(kept() == 10);
  retention.run(kT0 + 25h, ignore);  // the rest, at once
  CHECK(kept() == 0);
  retention.run(kT0 + 25h + 1s, ignore);  // fewer than a batch last time: an hour's rest
  CHECK(store->event_purges == 2);
  CHECK(store->attempt_cutoffs.empty());
}

TEST_CASE("a purge that fails is reported and tried again an hour later", "[retention]") {
  auto store = store_with_events(1, kT0);
  store->failing = true;
  Retention retention(*store, 0ms, 1h);
  std::vector<Error> reported;
  retention.run(kT0 + 2h, [&](Error e) { reported.push_back(std::move(e)); });
  REQUIRE(reported.size() == 1);
  CHECK(reported[0].code == ErrorCode::unavailable);
  store->failing = false;
  retention.run(kT0 + 2h + 30min, [&](Error e) { reported.push_back(std::move(e)); });
  CHECK(store->event_purges == 1);
  retention.run(kT0 + 3h, [&](Error e) { reported.push_back(std::move(e)); });
  CHECK(store->event_purges == 2);
  CHECK(store->get_event("e0").error().code == ErrorCode::not_found);
}

TEST_CASE("a retention longer than the clock's reading purges nothing", "[retention]") {
  auto store = store_with_events(1, Timestamp(1000ms));
  Retention retention(*store, 24h, 24h);
  retention.run(Timestamp(2000ms), [](Error) {});
  CHECK(store->attempt_cutoffs.empty());
  CHECK(store->event_purges == 0);
}
