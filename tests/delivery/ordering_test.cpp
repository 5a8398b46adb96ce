// A run's events reach each endpoint in order: RUN_START first, across
// retries, without holding a flush; and the ordering key that groups them.
// A test send goes ahead of its hook's backlog.

#include "support/delivery_doubles.hpp"
#include "support/notifier_fixture.hpp"

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

TEST_CASE("RUN_START reaches an endpoint before the run's end, across retries", "[notifier][ordering]") {
  NotifierFixture f;
  std::atomic<int> start_calls{0};
  TestReceiver receiver([&](const ReceivedRequest& r) {
    const bool is_start = r.body.find("\"RUN_START\"") != std::string::npos;
    if (is_start && ++start_calls <= 2) return Reply::status_only(500);
    return Reply::status_only(200);
  });
  f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  options.retry.schedule = {30ms, 30ms, 30ms};
  Notifier notifier(f.store, options);
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_start, "r1")));
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish, "r1")));
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_canceled, "r2")));  // another run: free
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  std::vector<std::string> order;
  for (const auto& r : receiver.requests()) {
    if (r.body.find("run/r1") == std::string::npos) continue;
    order.push_back(r.body.find("\"RUN_START\"") != std::string::npos ? "start" : "finish");
  }
  CHECK(order == std::vector<std::string>{"start", "start", "start", "finish"});
  CHECK(receiver.count() == 5);
}

TEST_CASE("a run's end waiting behind its RUN_START does not hold a flush", "[notifier][ordering]") {
  NotifierFixture f;
  TestReceiver receiver([](const ReceivedRequest& r) {
    return Reply::status_only(r.body.find("RUN_START") != std::string::npos ? 500 : 200);
  });
  f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  options.retry.schedule = {5s};
  Notifier notifier(f.store, options);
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_start, "r")));
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish, "r")));
  REQUIRE(receiver.wait_for(1));
  CHECK(notifier.flush(500ms) == FlushResult::idle);
  CHECK(receiver.count() == 1);  // the finish still waits for the start
}

TEST_CASE("two runs never share an ordering key, one run's events do", "[notifier][ordering]") {
  QuietNotifier q;
  const auto key_of = [&](const std::string& payload) {
    INFO(payload);
    return q.ordering_key_of(q.notifier.notify("proj", Event{EventType::run_start, payload, ""}));
  };
  // A unit separator inside buildId cannot pass for the one between buildId and groupId.
  const std::string ab_c = key_of(R"({"buildId":"a\u001fb","groupId":"c"})");
  CHECK(ab_c != key_of(R"({"buildId":"a","groupId":"b\u001fc"})"));
  CHECK(ab_c == key_of(R"({"buildId":"a\u001fb","groupId":"c","overall":3})"));
  // Nor can whatever escapes it.
  CHECK(key_of(R"({"buildId":"a\u0010","groupId":"\u001fx"})") != key_of(R"({"buildId":"a\u001f","groupId":"x"})"));
  CHECK(key_of(R"({"buildId":"a\u0010\u001f","groupId":"x"})") != key_of(R"({"buildId":"a\u0010","groupId":"\u001fx"})"));
  // Run events the same way.
  const auto run = [&](EventType type, const std::string& build, const std::string& group) {
    RunEvent event = sample_run(type);
    event.run_url.clear();
    event.build_id = build;
    event.group_id = group;
    return q.ordering_key_of(q.notifier.notify("proj", event));
  };
  CHECK(run(EventType::run_start, "a\x1f" "b", "c") != run(EventType::run_start, "a", "b\x1f" "c"));
  CHECK(run(EventType::run_start, "a\x1f" "b", "c") == run(EventType::run_finish, "a\x1f" "b", "c"));
  CHECK(run(EventType::run_start, "a\x1f" "b", "c") == ab_c);
  // Keys as before for a runUrl and for every buildId without those two bytes,
  // so deliveries stored by an older runhooks stay ordered with new ones.
  CHECK(key_of(R"({"runUrl":"https://ci/run/1","buildId":"b"})") == "https://ci/run/1");
  CHECK(key_of(R"({"runUrl":"a\u001fb"})") == "a\x1f" "b");
  CHECK(key_of(R"({"buildId":"build-7","groupId":"g"})") == "build-7\x1f" "g");
  CHECK(key_of(R"({"buildId":"build-7"})") == "build-7\x1f");
  CHECK(run(EventType::run_finish, "build-7", "g") == "build-7\x1f" "g");
}

TEMPLATE_TEST_CASE("a test send goes ahead of its hook's backlog", "[notifier][ordering][test-send]", MemoryBackend,
                   SqliteBackend) {
  StoreFixture<TestType> f;
  Gate gate;
  std::atomic<int> calls{0};
  TestReceiver receiver([&](const ReceivedRequest&) {
    if (++calls == 1) gate.pass();  // the first request is held while the rest queue up
    return Reply{};
  });
  const Webhook hook = f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  options.per_endpoint_concurrency = 1;
  Notifier notifier(f.store, options);
  std::vector<std::string> backlog;
  for (int run = 0; run < 5; ++run) {
    auto receipt = notifier.notify("proj", sample_run(EventType::run_finish, std::to_string(run)));
    REQUIRE(receipt);
    backlog.push_back(receipt->delivery_ids.at(0));
  }
  REQUIRE(gate.wait_for_arrivals(1));  // one in flight, four waiting
  auto test = notifier.publisher().send_test(hook.hook_id);
  REQUIRE(test);
  gate.open();
  REQUIRE(notifier.flush(10s) == FlushResult::idle);

  const auto requests = receiver.requests();
  REQUIRE(requests.size() == 6);
  CHECK(requests[1].header("webhook-id") == "msg_" + test->delivery_ids.at(0));  // right after the one in flight
  std::vector<std::string> rest;
  for (std::size_t i = 2; i < requests.size(); ++i) rest.push_back(requests[i].header("webhook-id"));
  CHECK(rest.size() == 4);
  for (const std::string& id : backlog) {
    CHECK((requests[0].header("webhook-id") == "msg_" + id ||
           std::count(rest.begin(), rest.end(), "msg_" + id) == 1));
  }
}
