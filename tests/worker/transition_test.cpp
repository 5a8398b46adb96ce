// What an attempt does to its delivery and its hook: the transition rules,
// tested as the pure function they are (no storage, no HTTP).

#include "worker/transition.hpp"

#include <catch2/catch.hpp>

using namespace runhooks;
using namespace runhooks::detail;
using namespace std::chrono_literals;
using Kind = EndpointChange::Kind;

namespace {

const Timestamp kT0 = Timestamp(1795759200000ms);

ClaimedDelivery claimed(int attempts = 0, std::optional<Timestamp> failing_since = std::nullopt) {
  ClaimedDelivery c;
  c.delivery.delivery_id = "d1";
  c.delivery.hook_id = "h1";
  c.delivery.attempt_count = attempts;
  c.delivery.next_attempt_at = kT0 - 1s;
  c.delivery.next_trigger = AttemptTrigger::manual;
  auto endpoint = std::make_shared<EndpointSnapshot>();
  endpoint->hook_id = "h1";
  endpoint->failing_since = failing_since;
  c.endpoint = endpoint;
  return c;
}

HttpResult answer(int status, std::optional<std::chrono::milliseconds> retry_after = std::nullopt) {
  HttpResult r;
  r.status_code = status;
  r.error_class = status >= 200 && status < 300 ? AttemptErrorClass::none : AttemptErrorClass::http_status;
  if (r.error_class != AttemptErrorClass::none) r.error_message = "HTTP " + std::to_string(status);
  r.retry_after = retry_after;
  r.duration = 40ms;
  r.body = "ok";
  return r;
}

HttpResult failure(AttemptErrorClass error_class, std::string message) {
  HttpResult r;
  r.error_class = error_class;
  r.error_message = std::move(message);
  return r;
}

RecordedRequest request() {
  return RecordedRequest{"https://example.com/h",
                         {{"Content-Type", "application/json"}, {"Authorization", "[redacted]"}}};
}

ClaimedDelivery test_send(std::optional<Timestamp> failing_since = std::nullopt) {
  ClaimedDelivery c = claimed(0, failing_since);
  c.delivery.next_trigger = AttemptTrigger::test;
  return c;
}

DeliveryPolicy no_jitter() {
  DeliveryPolicy policy;
  policy.retry.jitter = 0;
  return policy;
}

}  // namespace

TEST_CASE("a 2xx succeeds: completed when the answer came, the attempt recorded", "[transition]") {
  const AttemptResult r = settle(claimed(2), request(), answer(204), kT0, kT0 + 1s, no_jitter(), 0.5);
  CHECK(r.next.status == DeliveryStatus::succeeded);
  CHECK(r.next.attempt_count == 3);
  CHECK(r.next.completed_at == kT0 + 40ms);
  CHECK(r.next.last_error.empty());
  CHECK(r.attempt.delivery_id == "d1");
  CHECK(r.attempt.hook_id == "h1");
  CHECK(r.attempt.started_at == kT0);
  CHECK(r.attempt.trigger == AttemptTrigger::manual);
  CHECK(r.attempt.status_code == 204);
  CHECK(r.attempt.response_body == "ok");
  CHECK(r.endpoint.kind == Kind::succeeded);
  CHECK(r.endpoint.at == kT0);
}

TEST_CASE("the attempt records the request as sent and the answer's header fields", "[transition]") {
  HttpResult result = answer(200);
  result.headers = {{"Content-Type", "text/plain"}, {"X-Request-Id", "r-1"}};
  result.truncated = true;
  const AttemptResult r = settle(claimed(), request(), result, kT0, kT0, no_jitter(), 0.5);
  CHECK(r.attempt.request_url == "https://example.com/h");
  CHECK(r.attempt.request_headers == request().headers);
  CHECK(r.attempt.response_headers == result.headers);
  CHECK(r.attempt.response_body == "ok");
  CHECK(r.attempt.response_truncated);
  CHECK_FALSE(settle(claimed(), request(), answer(200), kT0, kT0, no_jitter(), 0.5).attempt.response_truncated);
}

TEST_CASE("failures are retried on the schedule until it runs out", "[transition]") {
  const DeliveryPolicy policy = no_jitter();
  for (const HttpResult& result : {answer(500), answer(404), answer(429), failure(AttemptErrorClass::timeout, "t"),
                                   failure(AttemptErrorClass::connect, "c"), failure(AttemptErrorClass::dns, "d"),
                                   failure(AttemptErrorClass::tls, "s")}) {
    const AttemptResult first = settle(claimed(0), request(), result, kT0, kT0 + 1s, policy, 0.5);
    CHECK(first.next.status == DeliveryStatus::pending);
    CHECK(first.next.next_attempt_at == kT0 + 1s + 5s);
    CHECK_FALSE(first.next.completed_at);
    CHECK_FALSE(first.next.last_error.empty());
  }
  const AttemptResult last = settle(claimed(7), request(), answer(500), kT0, kT0 + 1s, policy, 0.5);
  CHECK(last.next.status == DeliveryStatus::failed);
  CHECK(last.next.attempt_count == 8);
  CHECK(last.next.last_error == "HTTP 500");
  CHECK(last.next.next_attempt_at == kT0 - 1s);  // kept as it was
}

TEST_CASE("Retry-After of a 429 or 503 replaces the delay within the policy's bounds", "[transition]") {
  const DeliveryPolicy policy = no_jitter();
  CHECK(settle(claimed(), request(), answer(429, 7s), kT0, kT0, policy, 0.5).next.next_attempt_at == kT0 + 7s);
  CHECK(settle(claimed(), request(), answer(503, 1s), kT0, kT0, policy, 0.5).next.next_attempt_at == kT0 + 5s);
  CHECK(settle(claimed(), request(), answer(503, 1h), kT0, kT0, policy, 0.5).next.next_attempt_at == kT0 + 10s);
}

TEST_CASE("3xx and a network-policy block fail at once, and count as failures of the hook", "[transition]") {
  for (const HttpResult& result : {answer(301), failure(AttemptErrorClass::blocked_by_policy, "blocked")}) {
    const AttemptResult r = settle(claimed(), request(), result, kT0, kT0, no_jitter(), 0.5);
    CHECK(r.next.status == DeliveryStatus::failed);
    CHECK(r.next.completed_at);
    CHECK(r.endpoint.kind == Kind::failed);
  }
}

TEST_CASE("410 Gone fails the delivery and disables the hook unconditionally", "[transition]") {
  const AttemptResult r = settle(claimed(), request(), answer(410), kT0, kT0, no_jitter(), 0.5);
  CHECK(r.next.status == DeliveryStatus::failed);
  CHECK(r.endpoint.kind == Kind::gone);
}

TEST_CASE("every failed request tells the hook, with the health window", "[transition][health]") {
  DeliveryPolicy policy = no_jitter();
  policy.health_window = 24h;
  const AttemptResult r = settle(claimed(0, kT0 - 23h), request(), answer(500), kT0, kT0 + 1s, policy, 0.5);
  CHECK(r.endpoint.kind == Kind::failed);
  CHECK(r.endpoint.at == kT0);  // when the attempt started
  CHECK(r.endpoint.health_window == 24h);
}

TEST_CASE("a Retry-After on another status than 429 or 503 is not honoured", "[transition]") {
  const AttemptResult r = settle(claimed(), request(), answer(500, 1h), kT0, kT0, no_jitter(), 0.5);
  CHECK(r.next.next_attempt_at == kT0 + 5s);
}

TEST_CASE("the health rule: a streak starts, a success ends it, the window disables", "[health]") {
  const auto failed = [](Timestamp at) { return EndpointChange{Kind::failed, at, 24h}; };
  EndpointHealth health;
  bool disabled = true;
  CHECK(apply_endpoint_change(health, failed(kT0), disabled));
  CHECK_FALSE(disabled);
  CHECK(health.failing_since == kT0);
  CHECK_FALSE(apply_endpoint_change(health, failed(kT0 + 23h), disabled));  // within the window
  CHECK(apply_endpoint_change(health, EndpointChange{Kind::succeeded, kT0 + 23h, 0ms}, disabled));
  CHECK_FALSE(health.failing_since);
  CHECK_FALSE(apply_endpoint_change(health, EndpointChange{Kind::succeeded, kT0 + 23h, 0ms}, disabled));
  CHECK(apply_endpoint_change(health, failed(kT0 + 24h), disabled));  // a new streak
  CHECK(apply_endpoint_change(health, failed(kT0 + 48h), disabled));
  CHECK(disabled);
  CHECK_FALSE(health.enabled);
  CHECK(health.disabled_reason == "only failed attempts since 2026-11-28T06:00:00.000Z (health window 24 h)");
  CHECK_FALSE(health.failing_since);
  // Disabled: another failure starts a streak to judge once it is enabled,
  // but disables nothing; 410 does nothing more.
  CHECK(apply_endpoint_change(health, failed(kT0 + 72h), disabled));
  CHECK_FALSE(disabled);
  CHECK_FALSE(apply_endpoint_change(health, EndpointChange{Kind::gone, kT0, 0ms}, disabled));
  CHECK_FALSE(apply_endpoint_change(health, EndpointChange{}, disabled));
}

TEST_CASE("the health rule: 410 disables an enabled hook at once", "[health]") {
  EndpointHealth health;
  health.failing_since = kT0;
  bool disabled = false;
  CHECK(apply_endpoint_change(health, EndpointChange{Kind::gone, kT0 + 1s, 0ms}, disabled));
  CHECK(disabled);
  CHECK(health.disabled_reason == "endpoint answered 410 Gone");
  CHECK_FALSE(health.failing_since);
}

TEST_CASE("a delivery failed without a request counts an attempt and touches no health", "[transition]") {
  const AttemptResult r = settle_unsent(claimed(1), kT0, "endpoint disabled: by hand");
  CHECK(r.next.status == DeliveryStatus::failed);
  CHECK(r.next.attempt_count == 2);
  CHECK(r.next.completed_at == kT0);
  CHECK(r.next.last_error == "endpoint disabled: by hand");
  CHECK(r.attempt.error_class == AttemptErrorClass::other);
  CHECK(r.endpoint.kind == Kind::none);
}

TEST_CASE("a delivery failed without a request records none", "[transition]") {
  const AttemptResult r = settle_unsent(claimed(), kT0, "endpoint disabled: by hand");
  CHECK(r.attempt.request_url.empty());
  CHECK(r.attempt.request_headers.empty());
  CHECK(r.attempt.response_headers.empty());
  CHECK_FALSE(r.attempt.response_truncated);
}

TEST_CASE("a test send succeeds on a 2xx and tells the hook nothing", "[transition][test-send]") {
  const AttemptResult r = settle(test_send(kT0 - 1h), request(), answer(200), kT0, kT0 + 1s, no_jitter(), 0.5);
  CHECK(r.next.status == DeliveryStatus::succeeded);
  CHECK(r.next.attempt_count == 1);
  CHECK(r.next.completed_at == kT0 + 40ms);
  CHECK(r.attempt.trigger == AttemptTrigger::test);
  CHECK(r.attempt.request_url == "https://example.com/h");
  CHECK(r.endpoint.kind == Kind::none);  // the failing streak is not cleared
}

TEST_CASE("a test send that fails is failed at once, never retried, and tells the hook nothing",
          "[transition][test-send]") {
  DeliveryPolicy policy = no_jitter();
  policy.health_window = 1h;
  for (const HttpResult& result :
       {answer(500), answer(404), answer(429, 7s), answer(503, 1s), answer(301), answer(410),
        failure(AttemptErrorClass::timeout, "t"), failure(AttemptErrorClass::connect, "c"),
        failure(AttemptErrorClass::blocked_by_policy, "blocked")}) {
    INFO("status " << result.status_code << ", " << result.error_message);
    // Its hook has only failed for longer than the window: a scheduled
    // attempt's failure would disable it.
    const AttemptResult r = settle(test_send(kT0 - 2h), request(), result, kT0, kT0 + 1s, policy, 0.5);
    CHECK(r.next.status == DeliveryStatus::failed);
    CHECK(r.next.attempt_count == 1);
    CHECK(r.next.completed_at == kT0 + result.duration);
    CHECK(r.next.next_attempt_at == kT0 - 1s);  // kept as it was
    CHECK_FALSE(r.next.last_error.empty());
    CHECK(r.attempt.trigger == AttemptTrigger::test);
    CHECK(r.endpoint.kind == Kind::none);
  }
}
