// The delivery loop's life: flush and stop, callbacks, transports that
// throw, a store that cannot record attempts, several threads, a notifier
// that does not deliver, the retention purge, and the worker's figures.

#include "support/delivery_doubles.hpp"
#include "support/notifier_fixture.hpp"
#include "worker/worker_counters.hpp"

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

TEST_CASE("each flush is judged by its own deadline", "[notifier][lifecycle]") {
  NotifierFixture f;
  TestReceiver receiver([](const ReceivedRequest&) { return Reply::status_only(500); });
  f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  options.retry.schedule = {5s};
  Notifier notifier(f.store, options);
  CHECK(notifier.flush(60s) == FlushResult::idle);  // a long flush, with nothing to do
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(receiver.wait_for(1));
  // The retry is 5 s away: a 300 ms flush has nothing due within its time.
  CHECK(notifier.flush(300ms) == FlushResult::idle);
  CHECK(notifier.flush(300ms) == FlushResult::idle);
}

TEST_CASE("flush times out on a black hole, stop gives the lease back", "[notifier][lifecycle]") {
  NotifierFixture f;
  TestReceiver receiver([](const ReceivedRequest&) {
    Reply r;
    r.action = Reply::Action::hang;
    return r;
  });
  f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  options.total_timeout = 30s;
  Notifier notifier(f.store, options);
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(receiver.wait_for(1));
  CHECK(notifier.flush(100ms) == FlushResult::timed_out);
  CHECK(notifier.stats().in_flight == 1);
  notifier.stop(100ms);
  CHECK(notifier.flush(10ms) == FlushResult::stopped);
  auto d = f.store->get_delivery(receipt->delivery_ids[0]);
  CHECK(d->status == DeliveryStatus::pending);
  CHECK(d->lease_owner.empty());
  CHECK(d->attempt_count == 0);
}

TEST_CASE("flush and stop take forever as a timeout", "[notifier][lifecycle]") {
  NotifierFixture f;
  f.hook("http://127.0.0.1:9/hook");
  NotifierOptions options = NotifierFixture::options();
  options.transport = std::make_shared<FlakyTransport>(false);
  Notifier notifier(f.store, options);
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  CHECK(notifier.flush(std::chrono::milliseconds::max()) == FlushResult::idle);
  CHECK(f.store->get_delivery(receipt->delivery_ids[0])->status == DeliveryStatus::succeeded);
  notifier.stop(std::chrono::milliseconds::max());
  CHECK(notifier.flush(std::chrono::milliseconds::max()) == FlushResult::stopped);
}

TEST_CASE("a notifier that does not deliver leaves work for the next one", "[notifier][lifecycle]") {
  NotifierFixture f;
  TestReceiver receiver;
  f.hook(receiver.url());
  NotifierOptions quiet = NotifierFixture::options();
  quiet.deliver = false;
  {
    Notifier producer(f.store, quiet);
    for (int i = 0; i < 5; ++i) REQUIRE(producer.notify("proj", sample_run(EventType::run_finish, std::to_string(i))));
    CHECK(producer.flush(10ms) == FlushResult::stopped);
  }
  CHECK(receiver.count() == 0);
  Notifier worker(f.store, NotifierFixture::options());
  REQUIRE(worker.flush(10s) == FlushResult::idle);
  CHECK(receiver.count() == 5);
}

TEST_CASE("a throwing callback is reported and the loop goes on", "[notifier][lifecycle]") {
  NotifierFixture f;
  TestReceiver receiver;
  f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  std::atomic<int> errors{0};
  options.on_attempt = [](const AttemptReport&) { throw std::runtime_error("app bug"); };
  std::mutex mutex;
  std::string last_error;
  options.on_error = [&](const Error& e) {
    std::lock_guard lock(mutex);
    last_error = e.message;
    ++errors;
  };
  Notifier notifier(f.store, options);
  for (int i = 0; i < 3; ++i) REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish, std::to_string(i))));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(receiver.count() == 3);
  CHECK(errors == 3);
  std::lock_guard lock(mutex);
  CHECK(last_error == "on_attempt threw: app bug");
}

TEST_CASE("on_attempt sees every attempt with its stored delivery", "[notifier][lifecycle]") {
  NotifierFixture f;
  std::atomic<int> calls{0};
  TestReceiver receiver([&](const ReceivedRequest&) { return Reply::status_only(++calls == 1 ? 502 : 200); });
  f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  std::mutex mutex;
  std::vector<AttemptReport> reports;
  options.on_attempt = [&](const AttemptReport& r) {
    std::lock_guard lock(mutex);
    reports.push_back(r);
  };
  Notifier notifier(f.store, options);
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  std::lock_guard lock(mutex);
  REQUIRE(reports.size() == 2);
  CHECK(reports[0].attempt.status_code == 502);
  CHECK(reports[0].delivery.status == DeliveryStatus::pending);
  CHECK(reports[1].delivery.status == DeliveryStatus::succeeded);
  CHECK(reports[1].event_id == receipt->event_id);
}

TEST_CASE("callbacks may flush and stop the notifier they run in", "[notifier][lifecycle]") {
  NotifierFixture f;
  f.hook("http://127.0.0.1:9/hook");
  NotifierOptions options = NotifierFixture::options();
  options.transport = std::make_shared<FlakyTransport>(false);
  Notifier* self = nullptr;
  std::atomic<int> calls{0};
  std::atomic<FlushResult> flushed{FlushResult::idle};
  std::vector<std::string> errors;
  std::mutex errors_mutex;
  options.on_error = [&](const Error& e) {
    std::lock_guard lock(errors_mutex);
    errors.push_back(e.message);
  };
  options.on_attempt = [&](const AttemptReport&) {
    // Waiting on itself: returns at once instead of blocking the loop an hour.
    flushed = self->flush(std::chrono::hours(1));
    self->stop();  // only asks: the loop ends once this returns
    ++calls;
  };
  Notifier notifier(f.store, options);
  self = &notifier;
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish)));
  for (int i = 0; i < 1000 && calls == 0; ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(calls == 1);
  notifier.stop();
  CHECK(flushed == FlushResult::timed_out);
  CHECK(notifier.flush(1s) == FlushResult::stopped);
  std::lock_guard lock(errors_mutex);
  CHECK(errors.empty());
}

// A transport that fails once (the loop catches it): one error reported,
// and the delivery still succeeds.
static void check_one_failure_loses_nothing(std::shared_ptr<Transport> transport) {
  NotifierFixture f;
  f.hook("http://127.0.0.1:9/hook");
  NotifierOptions options = NotifierFixture::options();
  options.transport = std::move(transport);
  std::atomic<int> errors{0};
  options.on_error = [&](const Error&) { ++errors; };
  Notifier notifier(f.store, options);
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(errors == 1);
  CHECK(f.store->get_delivery(receipt->delivery_ids[0])->status == DeliveryStatus::succeeded);
  CHECK(notifier.stats().in_flight == 0);
}

TEST_CASE("a transport that throws loses nothing", "[notifier][lifecycle]") {
  check_one_failure_loses_nothing(std::make_shared<FlakyTransport>());
}

TEST_CASE("a transport whose poll throws, even while the loop backs off, does not end the process",
          "[notifier][lifecycle]") {
  // The 1st poll throws inside an iteration, the 2nd in the back-off after it.
  check_one_failure_loses_nothing(std::make_shared<FlakyTransport>(false, 2));
}

TEST_CASE("attempts a failing store cannot record are retried with a growing pause", "[notifier][lifecycle]") {
  NotifierFixture f;
  f.hook("http://127.0.0.1:9/hook");
  auto store = std::make_shared<FailingWrites>(f.store);
  NotifierOptions options = NotifierFixture::options();
  options.transport = std::make_shared<FlakyTransport>(false);
  std::atomic<int> errors{0};
  options.on_error = [&](const Error&) { ++errors; };
  Notifier notifier(store, options);
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(receipt);
  std::this_thread::sleep_for(1500ms);
  // Tries after 0, 100, 300, 700 and 1,500 ms, not every 100 ms (15).
  CHECK(errors >= 1);
  CHECK(errors <= 7);
  store->failing = false;
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(f.store->get_delivery(receipt->delivery_ids[0])->status == DeliveryStatus::succeeded);
}

TEST_CASE("several delivery threads share the work without sending twice", "[notifier][lifecycle]") {
  NotifierFixture f;
  TestReceiver receiver;
  for (int h = 0; h < 4; ++h) f.hook(receiver.url("/h" + std::to_string(h)));
  NotifierOptions options = NotifierFixture::options();
  options.delivery_threads = 2;
  options.max_concurrency = 8;
  Notifier notifier(f.store, options);
  for (int i = 0; i < 100; ++i) REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish, std::to_string(i))));
  REQUIRE(notifier.flush(30s) == FlushResult::idle);
  std::set<std::string> ids;
  for (const auto& r : receiver.requests()) ids.insert(r.header("webhook-id"));
  CHECK(receiver.count() == 400);
  CHECK(ids.size() == 400);
  CHECK(notifier.stats().succeeded == 400);
  CHECK(notifier.stats().in_flight == 0);
}

TEST_CASE("per_endpoint_concurrency 0 means no cap of its own", "[notifier][lifecycle]") {
  NotifierFixture f;
  TestReceiver receiver;
  f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  options.per_endpoint_concurrency = 0;
  Notifier notifier(f.store, options);
  for (int i = 0; i < 5; ++i) REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish, std::to_string(i))));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(receiver.count() == 5);
}

TEST_CASE("the loop purges events that finished longer ago than the retention", "[notifier][lifecycle]") {
  NotifierFixture f;
  TestReceiver receiver([](const ReceivedRequest&) { return Reply::status_only(200); });
  f.hook(receiver.url());
  auto clock = std::make_shared<FakeClock>(Timestamp(1795759200000ms));
  NotifierOptions options = NotifierFixture::options();
  options.clock = clock;
  options.event_retention = 1h;
  Notifier notifier(f.store, options);  // its first purge runs now, finding nothing
  auto old = notifier.notify("proj", sample_run(EventType::run_start));
  REQUIRE(old);
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  clock->advance(40min);
  auto recent = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(recent);
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  // The next purge is due an hour after the first: it takes what finished
  // before (now - 1 h), the first event, and keeps the second.
  clock->advance(21min);
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    auto event = f.store->get_event(old->event_id);
    gone = !event && event.error().code == ErrorCode::not_found;
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  CHECK(gone);
  CHECK(f.store->get_delivery(old->delivery_ids.at(0)).error().code == ErrorCode::not_found);
  CHECK(f.store->get_event(recent->event_id));
  CHECK(f.store->get_delivery(recent->delivery_ids.at(0)));
}

namespace {

std::uint64_t sum(const std::array<std::uint64_t, kAttemptErrorClassCount>& counts) {
  return std::accumulate(counts.begin(), counts.end(), std::uint64_t{0});
}

std::uint64_t sum(const DurationHistogram& histogram) {
  return std::accumulate(histogram.counts.begin(), histogram.counts.end(), std::uint64_t{0});
}

std::size_t index(AttemptErrorClass outcome) { return static_cast<std::size_t>(outcome); }

}  // namespace

TEST_CASE("stats count attempts by outcome, their durations, and the hooks disabled", "[notifier][lifecycle][stats]") {
  NotifierFixture f;
  Gate gate;
  std::atomic<int> calls{0};
  TestReceiver receiver([&](const ReceivedRequest&) {
    if (++calls == 1) return Reply::status_only(500);
    Reply slow;
    slow.delay = 300ms;  // the answer takes at least this long
    return slow;
  });
  TestReceiver gone([&](const ReceivedRequest&) {
    gate.pass();  // held in flight while the test reads the figures
    return Reply::status_only(410);
  });
  f.hook(receiver.url());
  Notifier notifier(f.store, NotifierFixture::options());
  CHECK(notifier.stats().attempts == 0);

  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish)));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  f.hook(gone.url(), {EventType::run_canceled});
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_canceled)));
  REQUIRE(gate.wait_for_arrivals(1));
  // Read from this thread while the delivery thread counts (tsan checks it).
  NotifierStats during = notifier.stats();
  CHECK(during.in_flight >= 1);
  CHECK(during.attempts == sum(during.attempts_by_outcome));
  gate.open();
  REQUIRE(notifier.flush(10s) == FlushResult::idle);

  const NotifierStats s = notifier.stats();
  // 500 then 200 to the first hook (the run_canceled it also got: 200), 410 to the second.
  CHECK(s.attempts == 4);
  CHECK(s.attempts_by_outcome[index(AttemptErrorClass::none)] == 2);
  CHECK(s.attempts_by_outcome[index(AttemptErrorClass::http_status)] == 2);
  CHECK(sum(s.attempts_by_outcome) == s.attempts);
  CHECK(sum(s.attempt_duration) == s.attempts);
  // The two slow answers took 300 ms or more: over the 0.25 s bound.
  const auto& counts = s.attempt_duration.counts;
  CHECK(std::accumulate(counts.begin() + 6, counts.end(), std::uint64_t{0}) >= 2);
  CHECK(s.attempt_duration.sum_seconds >= 0.6);
  CHECK(s.hooks_disabled == 1);
  CHECK(s.succeeded == 2);
  CHECK(s.failed == 1);
  CHECK(s.retried == 1);
  CHECK(s.notified == 2);
}

TEST_CASE("attempt durations fall in the first bucket whose bound they do not exceed", "[stats]") {
  using detail::duration_bucket;
  CHECK(duration_bucket(0ms) == 0);
  CHECK(duration_bucket(5ms) == 0);  // le="0.005"
  CHECK(duration_bucket(6ms) == 1);
  CHECK(duration_bucket(250ms) == 5);
  CHECK(duration_bucket(251ms) == 6);
  CHECK(duration_bucket(1s) == 7);
  CHECK(duration_bucket(30s) == 11);
  CHECK(duration_bucket(30001ms) == 12);  // +Inf
  CHECK(duration_bucket(24h) == DurationHistogram::kBounds.size());

  detail::WorkerCounters counters;
  counters.count_attempt(AttemptErrorClass::none, 3ms);
  counters.count_attempt(AttemptErrorClass::timeout, 15s);
  counters.count_attempt(AttemptErrorClass::none, 1200ms);
  const WorkerStats s = counters.read();
  CHECK(s.attempts == 3);
  CHECK(s.attempts_by_outcome[index(AttemptErrorClass::none)] == 2);
  CHECK(s.attempts_by_outcome[index(AttemptErrorClass::timeout)] == 1);
  CHECK(s.attempt_duration.counts[0] == 1);
  CHECK(s.attempt_duration.counts[8] == 1);   // le="2.5"
  CHECK(s.attempt_duration.counts[11] == 1);  // le="30"
  CHECK(s.attempt_duration.sum_seconds == Approx(16.203));
}

TEST_CASE("a worker for some deliveries sends those alone, and its flush waits for them alone",
          "[notifier][lifecycle]") {
  NotifierFixture f;
  TestReceiver mine;
  TestReceiver theirs;
  f.hook(mine.url(), {}, std::nullopt, "proj");
  f.hook(theirs.url(), {}, std::nullopt, "other");
  Publisher publisher(f.store);
  auto backlog = publisher.notify("other", sample_run(EventType::run_finish, "theirs"));
  auto stored = publisher.notify("proj", sample_run(EventType::run_finish, "mine"));
  REQUIRE((backlog && stored));

  WorkerOptions options = NotifierFixture::options();
  options.only_deliveries = stored->delivery_ids;
  Worker worker(f.store, options);
  // Idle once its own delivery is done, though another project's is due.
  CHECK(worker.flush(10s) == FlushResult::idle);
  worker.stop(1s);
  CHECK(mine.count() == 1);
  CHECK(theirs.count() == 0);
  CHECK(f.store->get_delivery(stored->delivery_ids[0])->status == DeliveryStatus::succeeded);
  const auto untouched = f.store->get_delivery(backlog->delivery_ids[0]);
  CHECK(untouched->status == DeliveryStatus::pending);
  CHECK(untouched->attempt_count == 0);
  CHECK(untouched->lease_owner.empty());
}
