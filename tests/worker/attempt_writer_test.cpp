// The attempt writer: batched completions, a growing pause while storage
// fails, nothing lost and nothing reported twice; and the same on the
// loop's storage thread (StorageThread), which also makes its claims.

#include <runhooks/runhooks.hpp>

#include "support/eventually.hpp"
#include "worker/attempt_writer.hpp"
#include "worker/storage_thread.hpp"
#include "worker/transition.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <thread>

using namespace runhooks;
using namespace runhooks::detail;
using runhooks::test::eventually;
using namespace std::chrono_literals;

namespace {

const Timestamp kT0 = Timestamp(1795759200000ms);

class FailingCompletions final : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  Result<std::vector<Result<CompletedAttempt>>> complete_attempts(
      std::string_view owner, const std::vector<AttemptResult>& results) override {
    ++calls;
    {
      std::lock_guard lock(caller_mutex);
      caller = std::this_thread::get_id();
    }
    if (failing) return Error{ErrorCode::unavailable, {}, "database is locked"};
    return StorageWrapper::complete_attempts(owner, results);
  }
  std::thread::id last_caller() {
    std::lock_guard lock(caller_mutex);
    return caller;
  }
  std::atomic<bool> failing{false};
  std::atomic<int> calls{0};
  std::mutex caller_mutex;
  std::thread::id caller;
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

TEST_CASE("the storage thread stores a batch on its own thread, then wakes the loop", "[writer]") {
  Fixture f;
  std::atomic<int> wakes{0};
  StorageThread writer(*f.store, "w", 60s, [&] { ++wakes; });
  writer.add(f.succeeded(f.claimed[0]), "e1");
  writer.add(f.succeeded(f.claimed[1]), "e2");
  CHECK(writer.pending() == 2);  // queued, being written or stored: room taken until taken back
  writer.submit();
  std::vector<AttemptWriter::Written> written;
  std::vector<std::string> finished;
  REQUIRE(eventually([&] {
    auto taken = writer.take();
    CHECK(taken.errors.empty());
    for (auto& w : taken.written) written.push_back(std::move(w));
    for (auto& id : taken.finished) finished.push_back(std::move(id));
    return written.size() == 2;
  }));
  CHECK(finished == std::vector<std::string>{f.claimed[0].delivery.delivery_id, f.claimed[1].delivery.delivery_id});
  CHECK(wakes >= 1);
  CHECK(writer.pending() == 0);
  CHECK(written[0].event_id == "e1");
  CHECK(written[1].completed.delivery.status == DeliveryStatus::succeeded);
  CHECK(f.store->last_caller() != std::this_thread::get_id());
  CHECK(f.store->list_attempts(AttemptFilter{"", "", 10})->size() == 2);
}

TEST_CASE("the storage thread reports each failed write once and stores the batch once storage is back",
          "[writer]") {
  Fixture f;
  StorageThread writer(*f.store, "w", 60s, [] {});
  f.store->failing = true;
  writer.add(f.succeeded(f.claimed[0]), "e1");
  writer.submit();
  std::vector<Error> errors;
  // The first try, and one more after the pause.
  REQUIRE(eventually([&] {
    for (Error& e : writer.take().errors) errors.push_back(std::move(e));
    return errors.size() >= 2;
  }));
  CHECK(errors.front().code == ErrorCode::unavailable);
  CHECK(writer.pending() == 1);
  // Added while the first is kept: both go in the next batch.
  writer.add(f.succeeded(f.claimed[1]), "e2");
  writer.submit();
  f.store->failing = false;
  std::vector<AttemptWriter::Written> written;
  REQUIRE(eventually([&] {
    auto taken = writer.take();
    for (Error& e : taken.errors) errors.push_back(std::move(e));
    for (auto& w : taken.written) written.push_back(std::move(w));
    return written.size() == 2;
  }));
  // Every call but the last failed, and each failure was reported once.
  CHECK(errors.size() == static_cast<std::size_t>(f.store->calls - 1));
  CHECK(writer.pending() == 0);
  CHECK(f.store->list_attempts(AttemptFilter{"", "", 10})->size() == 2);
}

TEST_CASE("draining the storage thread at stop writes what is left, or gives its error back", "[writer]") {
  Fixture f;
  StorageThread writer(*f.store, "w", 60s, [] {});
  writer.add(f.succeeded(f.claimed[0]), "e1");
  auto stored = writer.drain(10s);
  CHECK(stored.errors.empty());
  CHECK(stored.written.size() == 1);
  CHECK(writer.pending() == 0);

  f.store->failing = true;
  writer.add(f.succeeded(f.claimed[1]), "e2");
  auto failed = writer.drain(10s);
  REQUIRE_FALSE(failed.errors.empty());
  CHECK(failed.written.empty());
  CHECK(writer.pending() == 1);  // kept: its lease runs out and another worker sends it
  // Destroyed with it still kept and storage still failing: returns.
}

TEST_CASE("the storage thread says which writes are over, the dropped ones too", "[writer]") {
  Fixture f;
  StorageThread writer(*f.store, "w", 60s, [] {});
  // Another worker takes the first delivery once our lease ran out.
  REQUIRE(f.store->claim_due(ClaimRequest{"other", kT0 + 61s, 60s, 1, 0, {}, {}})->size() == 1);
  writer.add(f.succeeded(f.claimed[0]), "e1");
  writer.add(f.succeeded(f.claimed[1]), "e2");
  auto taken = writer.drain(10s);
  REQUIRE(taken.written.size() == 1);
  CHECK(taken.written.front().event_id == "e2");
  CHECK(taken.finished.size() == 2);  // the lost one's slot is free again as well
  CHECK(writer.pending() == 0);
}

TEST_CASE("the storage thread claims when asked, and answers with the next take", "[writer]") {
  Fixture f;  // its two deliveries are claimed by "w" until kT0 + 60 s
  std::atomic<int> wakes{0};
  StorageThread storage(*f.store, "w2", 60s, [&] { ++wakes; });
  storage.claim(ClaimRequest{"w2", kT0 + 61s, 60s, 10, 0, {}, {}});
  std::optional<Result<std::vector<ClaimedDelivery>>> claimed;
  REQUIRE(eventually([&] {
    auto taken = storage.take();
    if (taken.claimed) claimed = std::move(taken.claimed);
    return claimed.has_value();
  }));
  CHECK(wakes >= 1);
  REQUIRE(*claimed);
  CHECK((*claimed)->size() == 2);
  CHECK((*claimed)->front().delivery.lease_owner == "w2");
  CHECK(storage.pending() == 0);  // a claim is not an attempt
  // Nothing more due: the next answer is empty, and draining waits for it.
  storage.claim(ClaimRequest{"w2", kT0 + 62s, 60s, 10, 0, {}, {}});
  auto drained = storage.drain(10s);
  REQUIRE(drained.claimed);
  REQUIRE(*drained.claimed);
  CHECK((*drained.claimed)->empty());
}
