#pragma once
// What an attempt does to its delivery and to its hook: the one place that
// decides it. Pure — no clock, no storage, no randomness of its own — so
// every rule of docs/delivery.md is a unit test here; storage writes the
// result, as given, in the transaction that records the attempt.

#include <runhooks/outbox.hpp>
#include <runhooks/retry_policy.hpp>
#include <runhooks/transport.hpp>

#include "worker/request_builder.hpp"

#include <chrono>
#include <string>

namespace runhooks::detail {

/// The rules an outcome is judged by.
struct DeliveryPolicy {
  RetryPolicy retry;
  /// A hook that has only failed for this long is disabled.
  std::chrono::milliseconds health_window{std::chrono::hours(24 * 5)};
};

/// The attempt made of `claimed` at `started_at` with the request
/// `sent` that ended with `result`, judged at `now`:
/// - 2xx: succeeded; the hook hears of a success.
/// - 410 Gone: failed; the hook is told it is gone (disabled).
/// - 3xx (redirects are not followed) and a network-policy block: failed.
/// - anything else (timeouts, connection errors, 429, 5xx, other 4xx):
///   retried after the policy's next delay (the Retry-After of a 429 or 503
///   within its bounds, `unit_random` picking the jitter), failed once the
///   schedule is exhausted.
/// Every outcome but a success and 410 tells the hook of a failure, with
/// the health window (see apply_endpoint_change for what storage makes of it).
/// A test send (next_trigger `test`) is judged apart: succeeded on a 2xx,
/// failed on anything else (never retried, whatever Retry-After says), and
/// it tells the hook nothing (EndpointChange::Kind::none), 410 included.
/// The attempt records `sent` and the answer's header fields and body.
AttemptResult settle(const ClaimedDelivery& claimed, RecordedRequest sent, HttpResult result, Timestamp started_at,
                     Timestamp now, const DeliveryPolicy& policy, double unit_random);

/// A delivery failed for good without a request (its hook is disabled, it
/// cannot be signed): `reason` is its last error; the hook's health is not
/// touched, and the attempt records no request.
AttemptResult settle_unsent(const ClaimedDelivery& claimed, Timestamp now, std::string reason);

/// The record of an attempt of `delivery` started at `started_at`.
Attempt new_attempt(const Delivery& delivery, Timestamp started_at);

}  // namespace runhooks::detail
