#pragma once
// Storage tests record attempts as a worker would: this settles an attempt
// with a given status (the worker's transition rules are tested on their
// own) and completes it.

#include <runhooks/storage.hpp>

#include <string_view>

namespace runhooks::test {

/// The status an attempt leaves its delivery in, and when a retry is due.
struct DeliveryOutcome {
  DeliveryStatus status = DeliveryStatus::pending;
  Timestamp next_attempt_at;
};

/// The AttemptResult for `attempt` of `delivery` (as stored before it).
inline AttemptResult settled(const Delivery& delivery, const Attempt& attempt, DeliveryOutcome outcome,
                             EndpointChange endpoint = {}) {
  DeliveryState next;
  next.status = outcome.status;
  next.attempt_count = delivery.attempt_count + 1;
  next.next_attempt_at = outcome.status == DeliveryStatus::pending ? outcome.next_attempt_at : delivery.next_attempt_at;
  if (outcome.status != DeliveryStatus::pending) next.completed_at = attempt.started_at + attempt.duration;
  if (attempt.error_class != AttemptErrorClass::none) {
    next.last_error = attempt.error_message.empty() ? "HTTP " + std::to_string(attempt.status_code)
                                                    : attempt.error_message;
  }
  return AttemptResult{attempt, next, std::move(endpoint)};
}

/// Completes `attempt` with `outcome`, reading its delivery first (for its
/// attempt count); the delivery as stored after it.
inline Result<Delivery> complete_attempt(Storage& storage, std::string_view owner, const Attempt& attempt,
                                         DeliveryOutcome outcome) {
  Delivery before;
  if (auto found = storage.get_delivery(attempt.delivery_id)) before = *found;
  auto completed = storage.complete_attempt(owner, settled(before, attempt, outcome));
  if (!completed) return std::move(completed).error();
  return completed->delivery;
}

}  // namespace runhooks::test
