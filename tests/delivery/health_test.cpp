// Which hooks get an event, and endpoint health: 410 Gone, the health
// window, hooks disabled with deliveries pending and enabled again, and test
// sends, which reach a disabled hook and leave its health alone.

#include "support/delivery_doubles.hpp"
#include "support/notifier_fixture.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

TEST_CASE("only enabled hooks of the project that accept the event get it", "[notifier][health]") {
  NotifierFixture f;
  TestReceiver receiver;
  f.hook(receiver.url("/all"));
  f.hook(receiver.url("/start-only"), {EventType::run_start});
  f.hook(receiver.url("/other-project"), {}, std::nullopt, "other");
  const Webhook disabled = f.hook(receiver.url("/disabled"));
  REQUIRE(f.registry.disable(disabled.hook_id, "paused"));
  Notifier notifier(f.store, NotifierFixture::options());
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(receipt);
  CHECK(receipt->delivery_ids.size() == 1);
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  REQUIRE(receiver.count() == 1);
  CHECK(receiver.requests()[0].target == "/all");
}

TEST_CASE("410 Gone disables the hook and tells the application", "[notifier][health]") {
  NotifierFixture f;
  TestReceiver receiver([](const ReceivedRequest&) { return Reply::status_only(410); });
  const Webhook hook = f.hook(receiver.url());
  std::mutex mutex;
  std::vector<EndpointStateChange> changes;
  NotifierOptions options = NotifierFixture::options();
  options.on_endpoint_state = [&](const EndpointStateChange& c) {
    std::lock_guard lock(mutex);
    changes.push_back(c);
  };
  Notifier notifier(f.store, options);
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(receiver.count() == 1);
  CHECK(f.store->get_delivery(receipt->delivery_ids[0])->status == DeliveryStatus::failed);
  auto stored = f.registry.get(hook.hook_id);
  CHECK_FALSE(stored->enabled);
  CHECK(stored->disabled_reason == "endpoint answered 410 Gone");
  // Dated by the attempt that disabled it; the hook's updatedAt moves with its state.
  const Attempt gone = f.store->list_attempts(AttemptFilter{"", hook.hook_id, 1})->at(0);
  CHECK(stored->disabled_at == gone.started_at);
  CHECK(stored->updated_at == gone.started_at);
  {
    std::lock_guard lock(mutex);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].hook_id == hook.hook_id);
    CHECK(changes[0].project_id == "proj");
    CHECK_FALSE(changes[0].enabled);
  }
  // A disabled hook gets no new deliveries until it is enabled again.
  CHECK(notifier.notify("proj", sample_run(EventType::run_finish))->delivery_ids.empty());
  REQUIRE(f.registry.enable(hook.hook_id));
  CHECK(notifier.notify("proj", sample_run(EventType::run_finish))->delivery_ids.size() == 1);
}

TEST_CASE("deliveries pending for a hook that gets disabled fail without a request", "[notifier][health]") {
  NotifierFixture f;
  TestReceiver receiver;
  const Webhook hook = f.hook(receiver.url());
  NotifierOptions quiet = NotifierFixture::options();
  quiet.deliver = false;
  Notifier producer(f.store, quiet);
  auto receipt = producer.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(receipt);
  REQUIRE(f.registry.disable(hook.hook_id, "maintenance"));
  Notifier worker(f.store, NotifierFixture::options());
  REQUIRE(worker.flush(10s) == FlushResult::idle);
  CHECK(receiver.count() == 0);
  auto delivery = f.store->get_delivery(receipt->delivery_ids[0]);
  CHECK(delivery->status == DeliveryStatus::failed);
  CHECK(delivery->last_error == "endpoint disabled: maintenance");
  const Attempt unsent = f.attempts_of(delivery->delivery_id).at(0);
  CHECK(unsent.request_url.empty());  // no request was made
  CHECK(unsent.request_headers.empty());
}

TEST_CASE("deliveries waiting for a slot of a hook that answered 410 fail without a request",
          "[notifier][health]") {
  NotifierFixture f;
  TestReceiver receiver([](const ReceivedRequest&) {
    Reply gone = Reply::status_only(410);
    gone.delay = 200ms;  // the others are claimed, and wait for the one slot, meanwhile
    return gone;
  });
  const Webhook hook = f.hook(receiver.url());
  NotifierOptions quiet = NotifierFixture::options();
  quiet.deliver = false;
  Notifier producer(f.store, quiet);
  std::vector<std::string> ids;
  for (const char* run : {"a", "b", "c"}) {
    ids.push_back(producer.notify("proj", sample_run(EventType::run_finish, run))->delivery_ids.at(0));
  }
  NotifierOptions options = NotifierFixture::options();
  options.per_endpoint_concurrency = 1;
  Notifier worker(f.store, options);
  REQUIRE(worker.flush(10s) == FlushResult::idle);
  CHECK(receiver.count() == 1);  // the claim saw the hook enabled; the 410 came before the others went
  int unsent = 0;
  for (const std::string& id : ids) {
    const Delivery d = *f.store->get_delivery(id);
    CHECK(d.status == DeliveryStatus::failed);
    if (d.last_error == "endpoint disabled: endpoint answered 410 Gone") ++unsent;
  }
  CHECK(unsent == 2);
}

TEST_CASE("a hook that only fails for the health window is disabled", "[notifier][health]") {
  NotifierFixture f;
  TestReceiver receiver([](const ReceivedRequest&) { return Reply::status_only(500); });
  const Webhook hook = f.hook(receiver.url());
  auto clock = std::make_shared<FakeClock>(Timestamp(1795759200000ms));
  NotifierOptions options = NotifierFixture::options();
  options.clock = clock;
  options.retry.schedule = {};
  options.health_window = 1h;
  std::atomic<int> disabled{0};
  options.on_endpoint_state = [&](const EndpointStateChange&) { ++disabled; };
  Notifier notifier(f.store, options);
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish)));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(f.registry.get(hook.hook_id)->failing_since == Timestamp(1795759200000ms));
  CHECK(f.registry.get(hook.hook_id)->enabled);
  clock->advance(59min);
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish)));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(f.registry.get(hook.hook_id)->enabled);
  clock->advance(1min);
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish)));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  auto stored = f.registry.get(hook.hook_id);
  CHECK_FALSE(stored->enabled);
  CHECK_THAT(stored->disabled_reason, Catch::StartsWith("only failed attempts since 2026-11-27T06:00:00.000Z"));
  CHECK(disabled == 1);
}

TEST_CASE("a success resets the health window", "[notifier][health]") {
  NotifierFixture f;
  std::atomic<int> calls{0};
  TestReceiver receiver([&](const ReceivedRequest&) { return Reply::status_only(++calls == 1 ? 500 : 200); });
  const Webhook hook = f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  Notifier notifier(f.store, options);
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish)));
  REQUIRE(receiver.wait_for(1));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(calls == 2);
  CHECK_FALSE(f.registry.get(hook.hook_id)->failing_since);
}

TEST_CASE("a success another worker saw keeps the hook enabled despite what this worker read of it",
          "[notifier][health]") {
  NotifierFixture f;
  TestReceiver receiver([](const ReceivedRequest&) { return Reply::status_only(500); });
  const Webhook hook = f.hook(receiver.url());
  auto clock = std::make_shared<FakeClock>(Timestamp(1795759200000ms));
  NotifierOptions options = NotifierFixture::options();
  options.clock = clock;
  options.retry.schedule = {};
  options.health_window = 500ms;
  Notifier notifier(f.store, options);
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish, "a")));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  REQUIRE(f.registry.get(hook.hook_id)->failing_since);
  clock->advance(100ms);  // this worker last read the hook failing since t0
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish, "b")));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  // Another worker's success clears the failure in storage.
  REQUIRE(f.store->modify_hook(hook.hook_id, [](Webhook& h) -> Result<void> {
    h.failing_since.reset();
    return {};
  }));
  clock->advance(500ms);  // past the window by what this worker read
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish, "c")));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  REQUIRE(receiver.count() == 3);
  CHECK(f.registry.get(hook.hook_id)->enabled);
}

TEST_CASE("a hook enabled again gets a fresh health window", "[notifier][health]") {
  NotifierFixture f;
  TestReceiver receiver([](const ReceivedRequest&) { return Reply::status_only(503); });
  const Webhook hook = f.hook(receiver.url());
  REQUIRE(f.store->modify_hook(hook.hook_id, [](Webhook& h) -> Result<void> {
    h.failing_since = Clock::system().now() - std::chrono::hours(24 * 6);
    return {};
  }));
  REQUIRE(f.registry.disable(hook.hook_id, "health"));
  auto enabled = f.registry.enable(hook.hook_id);
  REQUIRE(enabled);
  CHECK_FALSE(enabled->failing_since);
  NotifierOptions options = NotifierFixture::options();
  options.retry.schedule = {};
  Notifier notifier(f.store, options);
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish)));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  auto after = f.registry.get(hook.hook_id);
  CHECK(after->enabled);  // one failure after re-enabling is not five days of them
  CHECK(after->failing_since);
}

TEMPLATE_TEST_CASE("a test send reaches a disabled hook and leaves its state and health as they were",
                   "[notifier][health][test-send]", MemoryBackend, SqliteBackend) {
  StoreFixture<TestType> f;
  TestReceiver receiver;
  // It takes only RUN_START, has been failing for an hour and is disabled.
  const Webhook hook = f.hook(receiver.url(), std::nullopt, {EventType::run_start});
  const Timestamp failing_since = Clock::system().now() - 1h;
  REQUIRE(f.store->modify_hook(hook.hook_id, [&](Webhook& h) -> Result<void> {
    h.failing_since = failing_since;
    return {};
  }));
  REQUIRE(f.registry.disable(hook.hook_id, "paused"));
  const Webhook before = *f.registry.get(hook.hook_id);
  std::atomic<int> state_changes{0};
  NotifierOptions options = NotifierFixture::options();
  options.on_endpoint_state = [&](const EndpointStateChange&) { ++state_changes; };
  Notifier notifier(f.store, options);

  auto receipt = notifier.publisher().send_test(hook.hook_id);  // a RUN_FINISH
  REQUIRE(receipt);
  REQUIRE(receipt->delivery_ids.size() == 1);
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  REQUIRE(receiver.count() == 1);
  CHECK(receiver.requests()[0].header("webhook-id") == "msg_" + receipt->delivery_ids[0]);
  const Delivery delivery = *f.store->get_delivery(receipt->delivery_ids[0]);
  CHECK(delivery.status == DeliveryStatus::succeeded);
  const auto attempts = f.attempts_of(delivery.delivery_id);
  REQUIRE(attempts.size() == 1);
  CHECK(attempts[0].trigger == AttemptTrigger::test);
  CHECK(attempts[0].status_code == 200);
  CHECK(attempts[0].request_url == receiver.url());

  const Webhook after = *f.registry.get(hook.hook_id);
  CHECK_FALSE(after.enabled);
  CHECK(after.disabled_reason == "paused");
  CHECK(after.disabled_at == before.disabled_at);
  CHECK(after.failing_since == before.failing_since);  // a success, but not of the hook's traffic
  CHECK(after.updated_at == before.updated_at);
  CHECK(state_changes == 0);
  // Still disabled: what notify stores goes nowhere.
  CHECK(notifier.notify("proj", sample_run(EventType::run_start))->delivery_ids.empty());
}

TEMPLATE_TEST_CASE("a failing test send is tried once: no retry, no failing streak, no disable",
                   "[notifier][health][test-send]", MemoryBackend, SqliteBackend) {
  StoreFixture<TestType> f;
  std::atomic<int> calls{0};
  TestReceiver receiver([&](const ReceivedRequest&) {
    if (++calls == 1) {
      Reply busy = Reply::status_only(503);
      busy.headers = {{"Retry-After", "0"}};
      return busy;
    }
    return Reply::status_only(410);
  });
  const Webhook hook = f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  options.health_window = 1ms;  // any second failure of the hook's traffic would disable it
  std::atomic<int> state_changes{0};
  options.on_endpoint_state = [&](const EndpointStateChange&) { ++state_changes; };
  Notifier notifier(f.store, options);

  auto first = notifier.publisher().send_test(hook.hook_id);
  REQUIRE(first);
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  auto second = notifier.publisher().send_test(hook.hook_id);
  REQUIRE(second);
  REQUIRE(notifier.flush(10s) == FlushResult::idle);

  CHECK(receiver.count() == 2);  // one request each, though 503 is retried for the hook's traffic
  const std::pair<std::string, std::string> expected[] = {{first->delivery_ids.at(0), "HTTP 503"},
                                                         {second->delivery_ids.at(0), "HTTP 410"}};
  for (const auto& [id, error] : expected) {
    const Delivery d = *f.store->get_delivery(id);
    CHECK(d.status == DeliveryStatus::failed);
    CHECK(d.attempt_count == 1);
    CHECK(d.last_error == error);
    CHECK(f.attempts_of(id).size() == 1);
  }
  const Webhook after = *f.registry.get(hook.hook_id);
  CHECK(after.enabled);  // 410 to a test send does not disable
  CHECK_FALSE(after.failing_since);
  CHECK(state_changes == 0);
  CHECK(notifier.stats().hooks_disabled == 0);
}
