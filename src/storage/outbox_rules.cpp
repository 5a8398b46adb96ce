#include "storage/outbox_rules.hpp"

namespace runhooks::detail {

std::string describe_failure(const Attempt& attempt) {
  if (attempt.error_class == AttemptErrorClass::none) return {};
  if (!attempt.error_message.empty()) return attempt.error_message;
  return "HTTP " + std::to_string(attempt.status_code);
}

void apply_outcome(Delivery& delivery, const Attempt& attempt, const DeliveryOutcome& outcome) {
  delivery.attempt_count += 1;
  delivery.status = outcome.status;
  delivery.last_error = describe_failure(attempt);
  if (outcome.status == DeliveryStatus::pending) {
    delivery.next_attempt_at = outcome.next_attempt_at;
    delivery.completed_at.reset();
  } else {
    delivery.completed_at = attempt.started_at + attempt.duration;
  }
  delivery.lease_owner.clear();
  delivery.lease_expires_at.reset();
  delivery.next_trigger = AttemptTrigger::scheduled;
}

void apply_reschedule(Delivery& delivery, Timestamp at, AttemptTrigger trigger) {
  delivery.status = DeliveryStatus::pending;
  delivery.next_attempt_at = at;
  delivery.completed_at.reset();
  delivery.lease_owner.clear();
  delivery.lease_expires_at.reset();
  delivery.next_trigger = trigger;
}

}  // namespace runhooks::detail
