#include "worker/transition.hpp"

#include "core/random.hpp"

namespace runhooks::detail {

namespace {

enum class Verdict { succeeded, retry, failed, failed_and_disable };

Verdict judge(const HttpResult& result) {
  switch (result.error_class) {
    case AttemptErrorClass::none: return Verdict::succeeded;
    case AttemptErrorClass::blocked_by_policy: return Verdict::failed;
    case AttemptErrorClass::http_status:
      if (result.status_code == 410) return Verdict::failed_and_disable;
      if (result.status_code >= 300 && result.status_code < 400) return Verdict::failed;
      return Verdict::retry;
    default: return Verdict::retry;
  }
}

std::string describe_failure(const Attempt& attempt) {
  if (attempt.error_class == AttemptErrorClass::none) return {};
  if (!attempt.error_message.empty()) return attempt.error_message;
  return "HTTP " + std::to_string(attempt.status_code);
}

// What the attempt tells of its hook; storage applies it to the hook as
// stored (apply_endpoint_change), so this needs no snapshot of the hook.
EndpointChange health_signal(const Attempt& attempt, Verdict verdict, const DeliveryPolicy& policy) {
  EndpointChange change;
  change.at = attempt.started_at;
  change.health_window = policy.health_window;
  switch (verdict) {
    case Verdict::succeeded: change.kind = EndpointChange::Kind::succeeded; break;
    case Verdict::failed_and_disable: change.kind = EndpointChange::Kind::gone; break;
    case Verdict::retry:
    case Verdict::failed: change.kind = EndpointChange::Kind::failed; break;
  }
  return change;
}

// Only 429 and 503 answers may ask for their own delay.
std::optional<std::chrono::milliseconds> asked_delay(const HttpResult& result) {
  if (result.status_code != 429 && result.status_code != 503) return std::nullopt;
  return result.retry_after;
}

}  // namespace

Attempt new_attempt(const Delivery& delivery, Timestamp started_at) {
  Attempt attempt;
  const std::int64_t millis = started_at.time_since_epoch().count();
  attempt.attempt_id = time_ordered_uuid(millis).value_or(delivery.delivery_id + "@" + std::to_string(millis));
  attempt.delivery_id = delivery.delivery_id;
  attempt.hook_id = delivery.hook_id;
  attempt.started_at = started_at;
  attempt.trigger = delivery.next_trigger;
  return attempt;
}

AttemptResult settle(const ClaimedDelivery& claimed, RecordedRequest sent, HttpResult result, Timestamp started_at,
                     Timestamp now, const DeliveryPolicy& policy, double unit_random) {
  const Delivery& d = claimed.delivery;
  const bool test = d.next_trigger == AttemptTrigger::test;
  AttemptResult out;
  out.attempt = new_attempt(d, started_at);
  out.attempt.duration = result.duration;
  out.attempt.status_code = result.status_code;
  out.attempt.error_class = result.error_class;
  out.attempt.error_message = result.error_message;
  out.attempt.request_url = std::move(sent.url);
  out.attempt.request_headers = std::move(sent.headers);
  out.attempt.response_headers = std::move(result.headers);
  out.attempt.response_body = std::move(result.body);
  out.attempt.response_truncated = result.truncated;

  DeliveryState& next = out.next;
  next.attempt_count = d.attempt_count + 1;
  next.next_attempt_at = d.next_attempt_at;
  next.last_error = describe_failure(out.attempt);
  const Verdict verdict = judge(result);
  next.status = verdict == Verdict::succeeded ? DeliveryStatus::succeeded : DeliveryStatus::failed;
  if (verdict == Verdict::retry && !test) {
    if (auto delay = policy.retry.next_delay(next.attempt_count, asked_delay(result), unit_random)) {
      next.status = DeliveryStatus::pending;
      next.next_attempt_at = now + *delay;
    }
  }
  if (next.status != DeliveryStatus::pending) next.completed_at = started_at + result.duration;
  // A test send checks the hook; it is not the hook's traffic.
  out.endpoint = test ? EndpointChange{} : health_signal(out.attempt, verdict, policy);
  return out;
}

AttemptResult settle_unsent(const ClaimedDelivery& claimed, Timestamp now, std::string reason) {
  AttemptResult out;
  out.attempt = new_attempt(claimed.delivery, now);
  out.attempt.error_class = AttemptErrorClass::other;
  out.attempt.error_message = reason;
  out.next.status = DeliveryStatus::failed;
  out.next.attempt_count = claimed.delivery.attempt_count + 1;
  out.next.next_attempt_at = claimed.delivery.next_attempt_at;
  out.next.completed_at = now;
  out.next.last_error = std::move(reason);
  return out;
}

}  // namespace runhooks::detail
