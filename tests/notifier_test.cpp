// The notifier against real HTTP receivers on 127.0.0.1 and a real SQLite file.

#include "support/bad_utf8.hpp"
#include "support/notifier_fixture.hpp"

#include <rapidjson/document.h>

#include <functional>
#include <set>
#include <thread>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

TEST_CASE("run events are stored at once and delivered signed", "[notifier]") {
  NotifierFixture f;
  TestReceiver receiver;
  const Webhook hook = f.hook(receiver.url(), {}, R"({"Authorization":"Bearer abc","X-Team":"qa"})");
  Notifier notifier(f.store, NotifierFixture::options());

  const RunEvent event = sample_run(EventType::run_finish);
  auto receipt = notifier.notify("proj", event);
  REQUIRE(receipt);
  REQUIRE(receipt->delivery_ids.size() == 1);
  CHECK(f.store->get_event(receipt->event_id)->payload == to_json(event));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);

  REQUIRE(receiver.count() == 1);
  const ReceivedRequest r = receiver.requests()[0];
  CHECK(r.method == "POST");
  CHECK(r.target == "/hook");
  CHECK(r.body == to_json(event));
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.header("user-agent") == std::string("runhooks/") + kVersion);
  CHECK(r.header("authorization") == "Bearer abc");
  CHECK(r.header("x-team") == "qa");
  CHECK(r.header("webhook-id") == "msg_" + receipt->delivery_ids[0]);
  CHECK(r.header_count("webhook-id") == 1);
  CHECK(r.header_count("content-type") == 1);
  CHECK(r.header("webhook-id").find('.') == std::string::npos);
  const auto now = Clock::system().now();
  const auto x_timestamp = std::stoll(r.header("x-timestamp"));
  CHECK(std::llabs(x_timestamp - now.time_since_epoch().count()) < 60000);  // epoch milliseconds
  // Verified as a receiver would, with the hook's secret.
  CHECK(verify_webhook(hook.secret, r.header("webhook-id"), r.header("webhook-timestamp"), r.body,
                       r.header("webhook-signature"), now));

  auto delivery = f.store->get_delivery(receipt->delivery_ids[0]);
  REQUIRE(delivery);
  CHECK(delivery->status == DeliveryStatus::succeeded);
  CHECK(delivery->attempt_count == 1);
  const auto attempts = f.attempts_of(delivery->delivery_id);
  REQUIRE(attempts.size() == 1);
  CHECK(attempts[0].status_code == 200);
  CHECK(attempts[0].error_class == AttemptErrorClass::none);
  CHECK(attempts[0].response_body == "ok");
  CHECK(attempts[0].trigger == AttemptTrigger::scheduled);
  CHECK(notifier.stats().succeeded == 1);
  CHECK(notifier.stats().notified == 1);
}

TEST_CASE("the payload is the wire format's", "[notifier]") {
  RunEvent e = sample_run(EventType::run_start);
  e.group_id = "group-a";
  rapidjson::Document doc;
  doc.Parse(to_json(e).c_str());
  REQUIRE(doc.IsObject());
  CHECK(std::string(doc["event"].GetString()) == "RUN_START");
  CHECK(std::string(doc["runUrl"].GetString()) == e.run_url);
  CHECK(std::string(doc["buildId"].GetString()) == e.build_id);
  CHECK(std::string(doc["groupId"].GetString()) == "group-a");
  CHECK(doc["tags"].IsArray());
  CHECK(std::string(doc["commit"]["sha"].GetString()) == e.commit.sha);
  CHECK(std::string(doc["commit"]["authorEmail"].GetString()) == "john@doe.com");
  CHECK(std::string(doc["commit"]["defaultBranch"].GetString()) == "main");
  for (const char* count : {"overall", "passes", "failures", "pending", "skipped", "retries", "flaky"}) {
    CHECK(doc[count].IsInt64());
  }
  e.group_id.reset();
  e.commit.default_branch.reset();
  doc.Parse(to_json(e).c_str());
  CHECK_FALSE(doc.HasMember("groupId"));
  CHECK(doc["commit"]["defaultBranch"].IsNull());
}

TEST_CASE("only enabled hooks of the project that accept the event get it", "[notifier]") {
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

TEST_CASE("500 then 200: retried with the same webhook-id", "[notifier]") {
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

TEST_CASE("retries stop when the schedule is exhausted", "[notifier]") {
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

TEST_CASE("other 4xx are retried too", "[notifier]") {
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

TEST_CASE("410 Gone disables the hook and tells the application", "[notifier]") {
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

TEST_CASE("deliveries pending for a hook that gets disabled fail without a request", "[notifier]") {
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
}

TEST_CASE("429 with Retry-After is honoured within bounds", "[notifier]") {
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

TEST_CASE("3xx fails and the redirect is not followed", "[notifier]") {
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

TEST_CASE("a receiver slower than the timeout is a timeout, retried", "[notifier]") {
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

TEST_CASE("a connection reset is a connection error, retried", "[notifier]") {
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

TEST_CASE("a 10 MB answer is cut at the capture cap", "[notifier]") {
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

TEST_CASE("during a rotation both secrets sign every delivery", "[notifier]") {
  NotifierFixture f;
  TestReceiver receiver;
  const Webhook before = f.hook(receiver.url());
  const Webhook after = f.registry.rotate_secret(before.hook_id).value();
  Notifier notifier(f.store, NotifierFixture::options());
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish)));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  REQUIRE(receiver.count() == 1);
  const ReceivedRequest r = receiver.requests()[0];
  const std::string signatures = r.header("webhook-signature");
  CHECK(std::count(signatures.begin(), signatures.end(), ' ') == 1);
  const auto now = Clock::system().now();
  for (const std::string& secret : {before.secret, after.secret}) {
    CHECK(verify_webhook(secret, r.header("webhook-id"), r.header("webhook-timestamp"), r.body,
                         signatures, now));
  }
}

TEST_CASE("RUN_START reaches an endpoint before the run's end, across retries", "[notifier]") {
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

TEST_CASE("the network policy blocks loopback unless allowed", "[notifier][policy]") {
  NotifierFixture f;
  TestReceiver receiver;
  f.hook(receiver.url("/by-ip"));
  f.hook("http://localhost:" + std::to_string(receiver.port()) + "/by-name");
  NotifierOptions options = NotifierFixture::options();
  options.network = NetworkPolicy{};  // the default: loopback denied
  {
    Notifier notifier(f.store, options);
    auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
    REQUIRE(notifier.flush(10s) == FlushResult::idle);
    CHECK(receiver.count() == 0);
    for (const std::string& id : receipt->delivery_ids) {
      auto d = f.store->get_delivery(id);
      CHECK(d->status == DeliveryStatus::failed);  // not retried: the policy will not change
      const auto attempts = f.attempts_of(id);
      REQUIRE(attempts.size() == 1);
      CHECK(attempts[0].error_class == AttemptErrorClass::blocked_by_policy);
      CHECK_THAT(attempts[0].error_message,
                 Catch::StartsWith("blocked by network policy: ") && Catch::Contains("is loopback"));
    }
  }
  REQUIRE(options.network.allow("127.0.0.0/8"));
  REQUIRE(options.network.allow("::1/128"));
  Notifier notifier(f.store, options);
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish)));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(receiver.count() == 2);
}

TEST_CASE("https_only refuses plain http before connecting", "[notifier][policy]") {
  NotifierFixture f;
  TestReceiver receiver;
  f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  options.network.https_only = true;
  Notifier notifier(f.store, options);
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(receiver.count() == 0);
  CHECK_THAT(f.attempts_of(receipt->delivery_ids[0])[0].error_message, Catch::Contains("only https"));
}

TEST_CASE("custom headers cannot forge the signature headers", "[notifier][headers]") {
  NotifierFixture f;
  TestReceiver receiver;
  for (const char* forged : {R"({"webhook-id":"msg_forged"})", R"({"Webhook-Signature":"v1,x"})",
                             R"({"Content-Type":"text/plain"})", R"({"X-A":"1\r\nwebhook-id: evil"})",
                             R"({"Host":"evil.example"})", R"({"Transfer-Encoding":"chunked"})"}) {
    INFO(forged);
    auto refused = f.registry.create("proj", NewWebhook{receiver.url(), std::string(forged), {}, {}});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().field == "headers");
  }
  // Even a hook written behind the registry's back cannot add a second copy
  // of a header runhooks sets: what is stored is sent as given, and the
  // receiver must see exactly one webhook-id, the real one.
  f.hook(receiver.url(), {}, R"({"X-Custom":"yes"})");
  Notifier notifier(f.store, NotifierFixture::options());
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  const ReceivedRequest r = receiver.requests().at(0);
  CHECK(r.header("x-custom") == "yes");
  CHECK(r.header_count("webhook-id") == 1);
  CHECK(r.header("webhook-id") == "msg_" + receipt->delivery_ids[0]);
}

TEST_CASE("an idempotency key makes a repeated notify a no-op", "[notifier]") {
  NotifierFixture f;
  TestReceiver receiver;
  f.hook(receiver.url());
  Notifier notifier(f.store, NotifierFixture::options());
  auto first = notifier.notify("proj", sample_run(EventType::run_finish), "run-1/finish");
  auto second = notifier.notify("proj", sample_run(EventType::run_finish), "run-1/finish");
  REQUIRE(first);
  REQUIRE(second);
  CHECK_FALSE(first->duplicate);
  CHECK(second->duplicate);
  CHECK(second->event_id == first->event_id);
  CHECK(second->delivery_ids == first->delivery_ids);
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(receiver.count() == 1);
  CHECK(notifier.notify("proj", sample_run(EventType::run_finish), std::string(256, 'k')).error().field ==
        "idempotencyKey");
}

TEST_CASE("custom payloads: a JSON object under the cap", "[notifier]") {
  NotifierFixture f;
  TestReceiver receiver;
  f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  options.max_payload_bytes = 1024;
  Notifier notifier(f.store, options);
  auto sent = notifier.notify("proj", Event{EventType::run_timeout, R"({"custom":true,"runUrl":"u"})", ""});
  REQUIRE(sent);
  auto too_big = notifier.notify("proj", Event{EventType::run_timeout, "{\"x\":\"" + std::string(1100, 'a') + "\"}", ""});
  REQUIRE_FALSE(too_big);
  CHECK(too_big.error().field == "payload");
  CHECK_THAT(too_big.error().message, Catch::Contains("at most 1024 bytes"));
  RunEvent big_run = sample_run(EventType::run_finish);
  big_run.tags.assign(100, std::string(20, 't'));
  CHECK(notifier.notify("proj", big_run).error().field == "payload");
  for (const char* bad : {"[]", "not json", "\"str\"", ""}) {
    CHECK(notifier.notify("proj", Event{EventType::run_timeout, bad, ""}).error().field == "payload");
  }
  // A raw NUL would end the parse: the text after it would be sent unchecked.
  auto with_nul = notifier.notify("proj", Event{EventType::run_timeout, std::string("{}\0garbage", 10), ""});
  REQUIRE_FALSE(with_nul);
  CHECK_THAT(with_nul.error().message, Catch::Contains("NUL"));
  CHECK(notifier.notify("", Event{EventType::run_timeout, "{}", ""}).error().field == "projectId");
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  REQUIRE(receiver.count() == 1);
  CHECK(receiver.requests()[0].body == R"({"custom":true,"runUrl":"u"})");
  auto deliveries = f.store->list_deliveries(DeliveryFilter{"proj", "", "", std::nullopt, 10});
  CHECK(deliveries->size() == 1);
  CHECK(deliveries->front().ordering_key == "u");
}

namespace {

// A notifier that only stores, and a hook that receives every event.
struct QuietNotifier {
  NotifierFixture f;
  Webhook hook = f.hook("https://example.com/h");
  Notifier notifier{f.store, quiet_options()};

  static NotifierOptions quiet_options() {
    NotifierOptions options = NotifierFixture::options();
    options.deliver = false;
    return options;
  }
  std::size_t stored_deliveries() {
    return f.store->list_deliveries(DeliveryFilter{"proj", "", "", std::nullopt, 100})->size();
  }
  std::string ordering_key_of(const Result<NotifyReceipt>& receipt) {
    REQUIRE(receipt);
    REQUIRE(receipt->delivery_ids.size() == 1);
    return f.store->get_delivery(receipt->delivery_ids[0])->ordering_key;
  }
};

}  // namespace

TEST_CASE("custom payloads must be valid UTF-8, escapes included", "[notifier][utf8]") {
  QuietNotifier q;
  for (const auto& bad : with_invalid_utf8(R"({"runUrl":"https://ci/run/1","note":")", R"("})")) {
    INFO(bad.what);
    auto refused = q.notifier.notify("proj", Event{EventType::run_finish, bad.text, ""});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::invalid_argument);
    CHECK(refused.error().field == "payload");
    CHECK(refused.error().message == "payload must be valid UTF-8");
  }
  // Valid text whose escapes decode to a lone surrogate, anywhere in the document.
  for (const char* escaped : {R"({"note":"\udc00"})", R"({"\udfff":1})", R"({"a":[{"b":["x\udc00y"]}]})"}) {
    INFO(escaped);
    auto refused = q.notifier.notify("proj", Event{EventType::run_finish, escaped, ""});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().field == "payload");
    CHECK_THAT(refused.error().message, Catch::Contains("unpaired surrogate"));
  }
  for (const char* escaped : {R"({"note":"\ud800"})", R"({"note":"\ud800\u0041"})"}) {
    INFO(escaped);
    CHECK(q.notifier.notify("proj", Event{EventType::run_finish, escaped, ""}).error().field == "payload");
  }
  // A whole byte-order mark is valid UTF-8 but not JSON: RapidJSON would skip it and the mark be sent.
  auto marked = q.notifier.notify("proj", Event{EventType::run_finish, "\xEF\xBB\xBF{\"a\":1}", ""});
  REQUIRE_FALSE(marked);
  CHECK(marked.error().field == "payload");
  CHECK_THAT(marked.error().message, Catch::Contains("byte-order mark"));
  CHECK(q.stored_deliveries() == 0);
  const std::string paired = R"({"note":"\ud83d\ude80 \u00e9 \u001f"})";
  auto sent = q.notifier.notify("proj", Event{EventType::run_finish, paired, ""});
  REQUIRE(sent);
  CHECK(q.f.store->get_event(sent->event_id)->payload == paired);  // byte for byte
}

TEST_CASE("run events: every text field and key must be valid UTF-8", "[notifier][utf8]") {
  QuietNotifier q;
  using Setter = std::function<void(RunEvent&, const std::string&)>;
  const std::vector<std::pair<std::string, Setter>> fields = {
      {"runUrl", [](RunEvent& e, const std::string& t) { e.run_url = t; }},
      {"buildId", [](RunEvent& e, const std::string& t) { e.build_id = t; }},
      {"groupId", [](RunEvent& e, const std::string& t) { e.group_id = t; }},
      {"tags", [](RunEvent& e, const std::string& t) { e.tags.push_back(t); }},
      {"commit.sha", [](RunEvent& e, const std::string& t) { e.commit.sha = t; }},
      {"commit.branch", [](RunEvent& e, const std::string& t) { e.commit.branch = t; }},
      {"commit.authorName", [](RunEvent& e, const std::string& t) { e.commit.author_name = t; }},
      {"commit.authorEmail", [](RunEvent& e, const std::string& t) { e.commit.author_email = t; }},
      {"commit.message", [](RunEvent& e, const std::string& t) { e.commit.message = t; }},
      {"commit.remoteOrigin", [](RunEvent& e, const std::string& t) { e.commit.remote_origin = t; }},
      {"commit.defaultBranch", [](RunEvent& e, const std::string& t) { e.commit.default_branch = t; }},
      {"orderingKey", [](RunEvent& e, const std::string& t) { e.ordering_key = t; }},
  };
  for (const auto& [field, set] : fields) {
    for (const auto& bad : with_invalid_utf8("some ", "text")) {
      INFO(field << ": " << bad.what);
      RunEvent event = sample_run(EventType::run_finish);
      set(event, bad.text);
      auto refused = q.notifier.notify("proj", event);
      REQUIRE_FALSE(refused);
      CHECK(refused.error().code == ErrorCode::invalid_argument);
      CHECK(refused.error().field == field);
      CHECK(refused.error().message == field + " must be valid UTF-8");
    }
  }
  for (const auto& bad : with_invalid_utf8("run-1/", "finish")) {
    INFO(bad.what);
    auto by_run = q.notifier.notify("proj", sample_run(EventType::run_finish), bad.text);
    REQUIRE_FALSE(by_run);
    CHECK(by_run.error().field == "idempotencyKey");
    CHECK(by_run.error().message == "idempotencyKey must be valid UTF-8");
    CHECK(q.notifier.notify("proj", Event{EventType::run_finish, "{}", ""}, bad.text).error().field ==
          "idempotencyKey");
    CHECK(q.notifier.notify("proj", Event{EventType::run_finish, "{}", bad.text}).error().field == "orderingKey");
    CHECK(q.notifier.notify(bad.text, Event{EventType::run_finish, "{}", ""}).error().field == "projectId");
  }
  CHECK(q.stored_deliveries() == 0);
  // The idempotency key's limit counts characters.
  std::string euros;
  for (int i = 0; i < 255; ++i) euros += "\xe2\x82\xac";
  CHECK(q.notifier.notify("proj", sample_run(EventType::run_finish), euros));
  auto too_long = q.notifier.notify("proj", sample_run(EventType::run_finish), euros + "\xe2\x82\xac");
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().field == "idempotencyKey");
  CHECK(too_long.error().message == "idempotency key must be at most 255 characters");
  // PostgreSQL would cut a key at a NUL: "a\0b" and "a\0c" would be one key there.
  auto with_nul = q.notifier.notify("proj", sample_run(EventType::run_finish), std::string("a\0b", 3));
  REQUIRE_FALSE(with_nul);
  CHECK(with_nul.error().message == "idempotencyKey must not contain a NUL character");
}

TEST_CASE("two runs never share an ordering key; one run's events do", "[notifier][ordering]") {
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

TEST_CASE("redeliver sends again with the same webhook-id, as manual", "[notifier]") {
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

TEST_CASE("a notifier that does not deliver leaves work for the next one", "[notifier]") {
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

TEST_CASE("flush times out on a black hole; stop gives the lease back", "[notifier]") {
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

TEST_CASE("a hook that only fails for the health window is disabled", "[notifier]") {
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

TEST_CASE("the loop purges events that finished longer ago than the retention", "[notifier]") {
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

TEST_CASE("a success another worker saw keeps the hook enabled despite this worker's cache", "[notifier]") {
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
  clock->advance(100ms);  // this worker now caches the hook, failing since t0
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish, "b")));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  // Another worker's success clears the failure in storage.
  REQUIRE(f.store->modify_hook(hook.hook_id, [](Webhook& h) -> Result<void> {
    h.failing_since.reset();
    return {};
  }));
  clock->advance(500ms);  // past the window by the cached value, cache still fresh
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish, "c")));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  REQUIRE(receiver.count() == 3);
  CHECK(f.registry.get(hook.hook_id)->enabled);
}

TEST_CASE("a success resets the health window", "[notifier]") {
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

TEST_CASE("a throwing callback is reported and the loop goes on", "[notifier]") {
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

TEST_CASE("on_attempt sees every attempt with its stored delivery", "[notifier]") {
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

TEST_CASE("several delivery threads share the work without sending twice", "[notifier]") {
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
