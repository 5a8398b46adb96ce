// Delivery outcomes by answer: retried statuses and the retry schedule,
// Retry-After, 3xx, timeouts, connection resets, the response capture cap
// (body and header fields), and manual redelivery. Real HTTP receivers on
// 127.0.0.1, a real SQLite file (or each backend, where it says so).

#include "support/delivery_doubles.hpp"
#include "support/notifier_fixture.hpp"

#include <atomic>
#include <memory>
#include <thread>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

TEST_CASE("500 then 200: retried with the same webhook-id", "[notifier][retries]") {
  NotifierFixture f;
  std::atomic<int> calls{0};
  TestReceiver receiver([&](const ReceivedRequest&) {
    return Reply::status_only(++calls == 1 ? 500 : 200);
  });
  f.hook(receiver.url());
  Notifier notifier(f.store, NotifierFixture::options());
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(receipt);
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  const auto requests = receiver.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].header("webhook-id") == requests[1].header("webhook-id"));
  CHECK(requests[0].body == requests[1].body);
  const auto attempts = f.attempts_of(receipt->delivery_ids[0]);
  REQUIRE(attempts.size() == 2);
  CHECK(attempts[1].status_code == 500);
  CHECK(attempts[1].error_class == AttemptErrorClass::http_status);
  CHECK(attempts[0].status_code == 200);
  CHECK(f.store->get_delivery(receipt->delivery_ids[0])->status == DeliveryStatus::succeeded);
  CHECK(notifier.stats().retried == 1);
}

TEST_CASE("other 4xx are retried too", "[notifier][retries]") {
  NotifierFixture f;
  std::atomic<int> calls{0};
  TestReceiver receiver([&](const ReceivedRequest&) { return Reply::status_only(++calls == 1 ? 400 : 204); });
  f.hook(receiver.url());
  Notifier notifier(f.store, NotifierFixture::options());
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(receiver.count() == 2);
  CHECK(f.store->get_delivery(receipt->delivery_ids[0])->status == DeliveryStatus::succeeded);
}

TEST_CASE("retries stop when the schedule is exhausted", "[notifier][retries]") {
  NotifierFixture f;
  TestReceiver receiver([](const ReceivedRequest&) { return Reply::status_only(503); });
  f.hook(receiver.url());
  Notifier notifier(f.store, NotifierFixture::options());
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(receiver.count() == 3);  // 1 + the 2 retries of the schedule
  auto delivery = f.store->get_delivery(receipt->delivery_ids[0]);
  CHECK(delivery->status == DeliveryStatus::failed);
  CHECK(delivery->attempt_count == 3);
  CHECK(delivery->last_error == "HTTP 503");
}

TEST_CASE("a retry sooner than the poll interval is not held to it", "[notifier][retries]") {
  NotifierFixture f;
  std::atomic<int> calls{0};
  TestReceiver receiver([&](const ReceivedRequest&) { return Reply::status_only(++calls == 1 ? 500 : 200); });
  f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  options.poll_interval = 30s;
  options.retry.schedule = {20ms};
  Notifier notifier(f.store, options);
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish)));
  CHECK(notifier.flush(10s) == FlushResult::idle);  // would wait 30 s for the poll
  CHECK(calls == 2);
}

TEST_CASE("429 with Retry-After is honoured within bounds", "[notifier][retries]") {
  NotifierFixture f;
  std::atomic<int> calls{0};
  TestReceiver receiver([&](const ReceivedRequest&) {
    Reply r = Reply::status_only(++calls == 1 ? 429 : 200);
    if (calls == 1) r.headers = {{"Retry-After", "1"}};
    return r;
  });
  f.hook(receiver.url());
  auto clock = std::make_shared<FakeClock>(Timestamp(1795759200000ms));
  NotifierOptions options = NotifierFixture::options();
  options.clock = clock;
  options.retry.schedule = {300ms};
  Notifier notifier(f.store, options);
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(receiver.wait_for(1));
  // The fake clock stands still: the retry waits for it. Retry-After: 1 s is
  // clamped to 2 x the scheduled 300 ms.
  Delivery d;
  for (int i = 0; i < 500; ++i) {
    d = f.store->get_delivery(receipt->delivery_ids[0]).value();
    if (d.attempt_count == 1) break;
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(d.attempt_count == 1);
  CHECK(d.status == DeliveryStatus::pending);
  CHECK(d.next_attempt_at == clock->now() + 600ms);
  // Nothing is due within a 200 ms flush on this clock: flush does not wait.
  CHECK(notifier.flush(200ms) == FlushResult::idle);
  CHECK(receiver.count() == 1);
  clock->advance(600ms);
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(receiver.count() == 2);
  CHECK(f.store->get_delivery(receipt->delivery_ids[0])->status == DeliveryStatus::succeeded);
}

TEST_CASE("3xx fails and the redirect is not followed", "[notifier][retries]") {
  NotifierFixture f;
  TestReceiver elsewhere;
  TestReceiver receiver([&](const ReceivedRequest&) {
    Reply r = Reply::status_only(301);
    r.headers = {{"Location", elsewhere.url("/moved")}};
    return r;
  });
  f.hook(receiver.url());
  Notifier notifier(f.store, NotifierFixture::options());
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(receiver.count() == 1);
  CHECK(elsewhere.count() == 0);
  auto delivery = f.store->get_delivery(receipt->delivery_ids[0]);
  CHECK(delivery->status == DeliveryStatus::failed);
  CHECK(delivery->attempt_count == 1);
  CHECK(f.attempts_of(delivery->delivery_id)[0].status_code == 301);
}

TEST_CASE("a receiver slower than the timeout is a timeout, retried", "[notifier][retries]") {
  NotifierFixture f;
  std::atomic<int> calls{0};
  TestReceiver receiver([&](const ReceivedRequest&) {
    Reply r;
    if (++calls == 1) r.delay = 3s;
    return r;
  });
  f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  options.total_timeout = 300ms;
  Notifier notifier(f.store, options);
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  const auto attempts = f.attempts_of(receipt->delivery_ids[0]);
  REQUIRE(attempts.size() == 2);
  CHECK(attempts[1].error_class == AttemptErrorClass::timeout);
  CHECK(attempts[1].status_code == 0);
  CHECK(attempts[0].status_code == 200);
}

TEST_CASE("a connection reset is a connection error, retried", "[notifier][retries]") {
  NotifierFixture f;
  std::atomic<int> calls{0};
  TestReceiver receiver([&](const ReceivedRequest&) {
    Reply r;
    if (++calls == 1) r.action = Reply::Action::reset;
    return r;
  });
  f.hook(receiver.url());
  Notifier notifier(f.store, NotifierFixture::options());
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  const auto attempts = f.attempts_of(receipt->delivery_ids[0]);
  REQUIRE(attempts.size() == 2);
  CHECK(attempts[1].error_class == AttemptErrorClass::connect);
  CHECK_FALSE(attempts[1].error_message.empty());
  CHECK(attempts[0].error_class == AttemptErrorClass::none);
}

TEST_CASE("a 10 MB answer is cut at the capture cap", "[notifier][retries]") {
  NotifierFixture f;
  TestReceiver receiver([](const ReceivedRequest&) {
    Reply r;
    r.body = "";
    r.filler_bytes = 10 * 1024 * 1024;
    return r;
  });
  f.hook(receiver.url());
  Notifier notifier(f.store, NotifierFixture::options());
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  const auto attempts = f.attempts_of(receipt->delivery_ids[0]);
  REQUIRE(attempts.size() == 1);
  CHECK(attempts[0].status_code == 200);
  CHECK(attempts[0].response_body.size() == 20000);
  CHECK(f.store->get_delivery(receipt->delivery_ids[0])->status == DeliveryStatus::succeeded);
}

TEMPLATE_TEST_CASE("a body over the capture cap is cut, and the attempt says so", "[notifier][retries][history]",
                   MemoryBackend, SqliteBackend) {
  StoreFixture<TestType> f;
  std::atomic<int> calls{0};
  TestReceiver receiver([&](const ReceivedRequest&) {
    Reply r;
    r.body = std::string(++calls == 1 ? 100 : 20000, 'b');  // the second fits exactly
    return r;
  });
  f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  options.response_capture_bytes = 20000;
  Notifier notifier(f.store, options);
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK_FALSE(f.attempts_of(receipt->delivery_ids.at(0)).at(0).response_truncated);
  receipt = notifier.notify("proj", sample_run(EventType::run_finish, "2"));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK_FALSE(f.attempts_of(receipt->delivery_ids.at(0)).at(0).response_truncated);

  TestReceiver huge([](const ReceivedRequest&) {
    Reply r;
    r.body = "";
    r.filler_bytes = 20001;
    return r;
  });
  f.hook(huge.url());
  receipt = notifier.notify("proj", sample_run(EventType::run_finish, "3"));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  for (const std::string& id : receipt->delivery_ids) {
    const Attempt attempt = f.attempts_of(id).at(0);
    if (attempt.request_url != huge.url()) continue;
    CHECK(attempt.status_code == 200);
    CHECK(attempt.response_body.size() == 20000);
    CHECK(attempt.response_truncated);
  }
}

TEMPLATE_TEST_CASE("the answer's header fields are kept, trimmed, and not those of an interim 1xx",
                   "[notifier][retries][history]", MemoryBackend, SqliteBackend) {
  StoreFixture<TestType> f;
  TestReceiver receiver([](const ReceivedRequest&) {
    Reply r;
    r.early_hints = {{"Link", "</style.css>; rel=preload"}};
    r.headers = {{"X-Request-Id", "  req-1 \t"}, {"Cache-Control", "no-store"}};
    return r;
  });
  f.hook(receiver.url());
  Notifier notifier(f.store, NotifierFixture::options());
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  const Attempt attempt = f.attempts_of(receipt->delivery_ids.at(0)).at(0);
  CHECK(attempt.status_code == 200);
  CHECK(attempt.response_headers ==
        HeaderList{{"X-Request-Id", "req-1"}, {"Cache-Control", "no-store"}, {"Content-Length", "2"}});
  CHECK(attempt.response_body == "ok");
  CHECK_FALSE(attempt.response_truncated);
}

TEMPLATE_TEST_CASE("header fields over the capture cap are cut: the first ones kept, the attempt flagged",
                   "[notifier][retries][history]", MemoryBackend, SqliteBackend) {
  StoreFixture<TestType> f;
  constexpr int kFields = 100;  // of about 310 bytes each: 31 kB of header fields
  TestReceiver receiver([](const ReceivedRequest&) {
    Reply r;
    for (int i = 0; i < kFields; ++i) r.headers.emplace_back("X-Filler-" + std::to_string(i), std::string(300, 'h'));
    return r;
  });
  f.hook(receiver.url());
  Notifier notifier(f.store, NotifierFixture::options());  // 20,000 bytes kept
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  const Attempt attempt = f.attempts_of(receipt->delivery_ids.at(0)).at(0);
  CHECK(attempt.status_code == 200);
  CHECK(f.store->get_delivery(receipt->delivery_ids.at(0))->status == DeliveryStatus::succeeded);
  CHECK(attempt.response_truncated);
  CHECK(attempt.response_body == "ok");  // the body has its own cap
  REQUIRE_FALSE(attempt.response_headers.empty());
  CHECK(attempt.response_headers.size() < kFields);
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < attempt.response_headers.size(); ++i) {
    const auto& [name, value] = attempt.response_headers[i];
    CHECK(name == "X-Filler-" + std::to_string(i));  // the first ones, in order
    bytes += name.size() + value.size();
  }
  CHECK(bytes <= 20000);
  CHECK(bytes > 20000 - 320);  // as many as fit

  // One field larger than the whole cap.
  TestReceiver huge([](const ReceivedRequest&) {
    Reply r;
    r.headers = {{"X-Huge", std::string(30000, 'h')}};
    return r;
  });
  f.hook(huge.url());
  receipt = notifier.notify("proj", sample_run(EventType::run_finish, "2"));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  for (const std::string& id : receipt->delivery_ids) {
    const Attempt a = f.attempts_of(id).at(0);
    if (a.request_url != huge.url()) continue;
    CHECK(a.status_code == 200);
    CHECK(a.response_truncated);
    CHECK(a.response_headers.empty());
  }
}

TEST_CASE("redeliver sends again with the same webhook-id, as manual", "[notifier][retries]") {
  NotifierFixture f;
  TestReceiver receiver;
  f.hook(receiver.url());
  Notifier notifier(f.store, NotifierFixture::options());
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  auto again = notifier.redeliver(receipt->delivery_ids[0]);
  REQUIRE(again);
  CHECK(again->status == DeliveryStatus::pending);
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  const auto requests = receiver.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].header("webhook-id") == requests[1].header("webhook-id"));
  const auto attempts = f.attempts_of(receipt->delivery_ids[0]);
  REQUIRE(attempts.size() == 2);
  CHECK(attempts[0].trigger == AttemptTrigger::manual);
  CHECK(attempts[1].trigger == AttemptTrigger::scheduled);
  CHECK(notifier.redeliver("00000000-0000-4000-8000-000000000000").error().code == ErrorCode::not_found);
}
