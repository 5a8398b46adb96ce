#pragma once
// Outbox bookkeeping every backend applies the same way.

#include <runhooks/outbox.hpp>

#include <string>

namespace runhooks::detail {

/// What `Delivery::last_error` says after `attempt`: empty for a success,
/// else the error message, else "HTTP <status>".
std::string describe_failure(const Attempt& attempt);

/// Applies an attempt's outcome to its delivery: one more attempt, the new
/// status, the retry time or completion time, the last error; lease released
/// and the next trigger back to scheduled.
void apply_outcome(Delivery& delivery, const Attempt& attempt, const DeliveryOutcome& outcome);

/// Resets a delivery for a redelivery due at `at`.
void apply_reschedule(Delivery& delivery, Timestamp at, AttemptTrigger trigger);

}  // namespace runhooks::detail
