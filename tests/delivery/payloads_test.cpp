// What notify accepts and what goes on the wire: the request, its headers
// and signatures, what an attempt records of the request, the run event's
// JSON, custom payloads, UTF-8 everywhere, idempotency keys.

#include "support/bad_utf8.hpp"
#include "support/delivery_doubles.hpp"
#include "support/notifier_fixture.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

TEST_CASE("run events are stored at once and delivered signed", "[notifier][payloads]") {
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

namespace {

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::vector<std::string> names_of(const HeaderList& headers) {
  std::vector<std::string> names;
  for (const auto& header : headers) names.push_back(header.first);
  return names;
}

}  // namespace

TEMPLATE_TEST_CASE("an attempt records the request as sent, the hook's own header values redacted",
                   "[notifier][payloads][history]", MemoryBackend, SqliteBackend) {
  StoreFixture<TestType> f;
  TestReceiver receiver;
  f.hook(receiver.url(), R"({"Authorization":"Bearer abc","X-Team":"qa"})");
  Notifier notifier(f.store, NotifierFixture::options());
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(receipt);
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  REQUIRE(receiver.count() == 1);
  const ReceivedRequest received = receiver.requests()[0];
  const auto attempts = f.attempts_of(receipt->delivery_ids.at(0));
  REQUIRE(attempts.size() == 1);
  const Attempt& attempt = attempts[0];

  CHECK(attempt.request_url == receiver.url());
  CHECK(names_of(attempt.request_headers) ==
        std::vector<std::string>{"Content-Type", "User-Agent", "x-timestamp", "webhook-id", "webhook-timestamp",
                                 "webhook-signature", "Authorization", "X-Team"});
  for (const auto& [name, value] : attempt.request_headers) {
    INFO(name);
    if (name == "Authorization" || name == "X-Team") {
      CHECK(value == "[redacted]");
    } else {
      CHECK(value == received.header(lowercase(name)));  // the signature too, as sent
    }
  }
  // In the order sent: the receiver saw them so, among what libcurl adds.
  std::vector<std::string> seen;
  for (const auto& [name, value] : received.headers) {
    for (const auto& recorded : attempt.request_headers) {
      if (lowercase(recorded.first) == name) seen.push_back(name);
    }
  }
  std::vector<std::string> recorded;
  for (const auto& name : names_of(attempt.request_headers)) recorded.push_back(lowercase(name));
  CHECK(seen == recorded);
  // The receiver's credential is nowhere in the record.
  for (const auto& [name, value] : attempt.request_headers) CHECK(value.find("Bearer") == std::string::npos);
}

TEMPLATE_TEST_CASE("a hook's own User-Agent replaces runhooks' and is recorded redacted",
                   "[notifier][payloads][history]", MemoryBackend, SqliteBackend) {
  StoreFixture<TestType> f;
  TestReceiver receiver;
  f.hook(receiver.url(), R"({"User-Agent":"mine/1.0"})");
  Notifier notifier(f.store, NotifierFixture::options());
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(receipt);
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  REQUIRE(receiver.count() == 1);
  CHECK(receiver.requests()[0].header_count("user-agent") == 1);
  CHECK(receiver.requests()[0].header("user-agent") == "mine/1.0");
  const Attempt attempt = f.attempts_of(receipt->delivery_ids.at(0)).at(0);
  CHECK(names_of(attempt.request_headers) ==
        std::vector<std::string>{"Content-Type", "x-timestamp", "webhook-id", "webhook-timestamp",
                                 "webhook-signature", "User-Agent"});
  CHECK(attempt.request_headers.back().second == "[redacted]");
}

TEST_CASE("the payload is the wire format's", "[notifier][payloads]") {
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

TEST_CASE("during a rotation both secrets sign every delivery", "[notifier][payloads]") {
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

TEST_CASE("custom payloads: a JSON object under the cap", "[notifier][payloads]") {
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
  auto deliveries = f.store->list_deliveries(DeliveryFilter{"proj", "", "", std::nullopt, 10, {}, {}});
  CHECK(deliveries->size() == 1);
  CHECK(deliveries->front().ordering_key == "u");
}

TEST_CASE("custom payloads must be valid UTF-8, escapes included", "[notifier][payloads][utf8]") {
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

TEST_CASE("run events: every text field and key must be valid UTF-8", "[notifier][payloads][utf8]") {
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

TEST_CASE("an idempotency key makes a repeated notify a no-op", "[notifier][payloads]") {
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
