// The Delivery and Attempt objects as the API and the CLI print them.

#include <runhooks/runhooks.hpp>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <chrono>

using namespace runhooks;
using namespace std::chrono_literals;

namespace {

rapidjson::Document parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.c_str(), json.size());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

std::string str(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

}  // namespace

TEST_CASE("a Delivery shows its webhook-id, its event and, when asked, its payload as an object", "[json]") {
  Delivery d;
  d.delivery_id = "0192f1c4-0000-7000-8000-000000000001";
  d.event_id = "0192f1c4-0000-7000-8000-000000000002";
  d.hook_id = "0b7c5d1e-3f0a-4c8e-9a51-2d6f7e8a9b10";
  d.project_id = "proj";
  d.status = DeliveryStatus::pending;
  d.next_attempt_at = Timestamp(1795759200000ms);
  d.created_at = Timestamp(1795759100000ms);
  OutboxEvent e;
  e.type = EventType::run_start;
  e.payload = R"({"event":"RUN_START","runUrl":"https://ci/run/1"})";

  auto bare = parse(to_json(d));
  CHECK(str(bare["webhookId"]) == "msg_" + d.delivery_id);
  CHECK(webhook_id(d) == "msg_" + d.delivery_id);
  CHECK_FALSE(bare.HasMember("event"));
  CHECK(str(bare["nextAttemptAt"]) == "2026-11-27T06:00:00.000Z");
  CHECK(bare["lastError"].IsNull());
  CHECK(bare["completedAt"].IsNull());

  auto full = parse(to_json(d, &e, true));
  CHECK(str(full["event"]) == "RUN_START");
  CHECK(str(full["payload"]["runUrl"]) == "https://ci/run/1");

  d.status = DeliveryStatus::failed;
  d.completed_at = Timestamp(1795759300000ms);
  d.last_error = "HTTP 503";
  auto failed = parse(to_json(d, &e, false));
  CHECK(failed["nextAttemptAt"].IsNull());  // only a pending delivery has a next attempt
  CHECK(str(failed["lastError"]) == "HTTP 503");
  CHECK_FALSE(failed.HasMember("payload"));
}

TEST_CASE("an Attempt shows request and response, and bytes that are not UTF-8 read as U+FFFD", "[json]") {
  Attempt a;
  a.attempt_id = "a";
  a.delivery_id = "d";
  a.trigger = AttemptTrigger::test;
  a.status_code = 503;
  a.error_class = AttemptErrorClass::http_status;
  a.request_url = "https://example.com/hook";
  a.request_headers = {{"webhook-id", "msg_d"}, {"Authorization", "[redacted]"}};
  a.response_headers = {{"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}, {"X-Bad", "\xff"}};
  a.response_body = "busy \xc3\x28";
  a.response_truncated = true;
  OutboxEvent e;
  e.payload = R"({"event":"RUN_FINISH"})";

  auto doc = parse(to_json(a, &e));  // parsed with UTF-8 validation on
  CHECK(str(doc["trigger"]) == "test");
  CHECK(str(doc["outcome"]) == "http_status");
  CHECK(doc["statusCode"].GetInt() == 503);
  CHECK(doc["error"].IsNull());
  CHECK(str(doc["request"]["headers"]["Authorization"]) == "[redacted]");
  CHECK(str(doc["request"]["body"]) == e.payload);
  CHECK(str(doc["response"]["headers"]["Set-Cookie"]) == "a=1, b=2");
  CHECK(str(doc["response"]["headers"]["X-Bad"]) == "\xEF\xBF\xBD");
  CHECK(str(doc["response"]["body"]) == "busy \xEF\xBF\xBD(");
  CHECK(doc["response"]["truncated"].GetBool());

  Attempt unsent;
  unsent.error_class = AttemptErrorClass::other;
  unsent.error_message = "hook disabled";
  auto none = parse(to_json(unsent));
  CHECK(none["request"].IsNull());
  CHECK(none["response"].IsNull());
  CHECK(none["statusCode"].IsNull());
  CHECK(str(none["outcome"]) == "other");
  a.error_class = AttemptErrorClass::none;
  CHECK(str(parse(to_json(a))["outcome"]) == "succeeded");
  CHECK(parse(to_json(a))["request"]["body"].IsNull());  // no event given
}
