// The attempt writer: batched completions, a growing pause while storage
// fails, nothing lost and nothing reported twice.

#include <runhooks/runhooks.hpp>

#include "worker/attempt_writer.hpp"
#include "worker/transition.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace runhooks;
using namespace runhooks::detail;
using namespace std::chrono_literals;

namespace {

const Timestamp kT0 = Timestamp(1795759200000ms);

class FailingCompletions final : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  Result<std::vector<Result<CompletedAttempt>>> complete_attempts(
      std::string_view owner, const std::vector<AttemptResult>& results) override {
    ++calls;
    if (failing) return Error{ErrorCode::unavailable, {}, "database is locked"};
    return StorageWrapper::complete_attempts(owner, results);
  }
  std::atomic<bool> failing{false};
  int calls = 0;
};

struct Fixture {
  Fixture() {
    auto memory = open_storage("memory:");
    REQUIRE(memory);
    store = std::make_shared<FailingCompletions>(*memory);
    Webhook hook;
    hook.hook_id = "00000000-0000-4000-8000-000000000001";
    hook.project_id = "p";
    hook.url = "https://example.com/h";
    hook.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    hook.created_at = hook.updated_at = kT0;
    REQUIRE(store->insert_hook(hook, 10));
    for (const char* id : {"e1", "e2"}) {
      OutboxEvent event;
      event.event_id = id;
      event.project_id = "p";
      event.payload = "{}";
      event.created_at = kT0;
      REQUIRE(store->enqueue(event));
    }
    auto got = store->claim_due(ClaimRequest{"w", kT0, 60s, 10, 0, {}, {}});
    REQUIRE(got);
    REQUIRE(got->size() == 2);
    claimed = *got;
  }

  AttemptResult succeeded(const ClaimedDelivery& c) {
    HttpResult ok;
    ok.status_code = 200;
    return settle(c, {}, ok, kT0, kT0, DeliveryPolicy{}, 0.5);
  }

  std::shared_ptr<FailingCompletions> store;
  std::vector<ClaimedDelivery> claimed;
};

}  // namespace

TEST_CASE("settled attempts are written in one batch, each with its event", "[writer]") {
  Fixture f;
  AttemptWriter writer(*f.store, "w", 60s);
  writer.add(f.succeeded(f.claimed[0]), "e1");
  writer.add(f.succeeded(f.claimed[1]), "e2");
  CHECK(writer.pending() == 2);
  auto written = writer.write();
  REQUIRE(written);
  REQUIRE(written->size() == 2);
  CHECK(f.store->calls == 1);
  CHECK((*written)[0].event_id == "e1");
  CHECK((*written)[1].completed.delivery.status == DeliveryStatus::succeeded);
  CHECK(writer.pending() == 0);
  CHECK(f.store->list_attempts(AttemptFilter{"", "", 10})->size() == 2);
}

TEST_CASE("a failed write keeps the batch and pauses, doubling, before the next try", "[writer]") {
  Fixture f;
  AttemptWriter writer(*f.store, "w", 60s);
  writer.add(f.succeeded(f.claimed[0]), "e1");
  f.store->failing = true;
  auto first = writer.write();
  REQUIRE_FALSE(first);
  CHECK(first.error().code == ErrorCode::unavailable);
  CHECK(writer.pending() == 1);
  CHECK_FALSE(writer.ready());
  CHECK(writer.pause_left() > 0ms);
  CHECK(writer.pause_left() <= 100ms);
  // Pausing: no call to storage at all.
  auto skipped = writer.write();
  REQUIRE(skipped);
  CHECK(skipped->empty());
  CHECK(f.store->calls == 1);
  // The last chance at stop writes even while pausing; the pause doubles.
  REQUIRE_FALSE(writer.write(true));
  CHECK(writer.pause_left() > 100ms);
  CHECK(writer.pause_left() <= 200ms);
  f.store->failing = false;
  auto written = writer.write(true);
  REQUIRE(written);
  CHECK(written->size() == 1);
  CHECK(writer.ready());
  CHECK(writer.pause_left() == 0ms);
}

TEST_CASE("the pause never grows past a quarter of the lease", "[writer]") {
  Fixture f;
  AttemptWriter writer(*f.store, "w", 400ms);
  writer.add(f.succeeded(f.claimed[0]), "e1");
  f.store->failing = true;
  for (int i = 0; i < 6; ++i) REQUIRE_FALSE(writer.write(true));
  CHECK(writer.pause_left() <= 100ms);
}

TEST_CASE("an attempt whose lease was lost is dropped, the others written", "[writer]") {
  Fixture f;
  AttemptWriter writer(*f.store, "w", 60s);
  // Another worker takes the first delivery once our lease ran out.
  REQUIRE(f.store->claim_due(ClaimRequest{"other", kT0 + 61s, 60s, 1, 0, {}, {}})->size() == 1);
  writer.add(f.succeeded(f.claimed[0]), "e1");
  writer.add(f.succeeded(f.claimed[1]), "e2");
  auto written = writer.write();
  REQUIRE(written);
  REQUIRE(written->size() == 1);
  CHECK(written->front().event_id == "e2");
  CHECK(writer.pending() == 0);
}
