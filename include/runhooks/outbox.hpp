#pragma once
/// The delivery outbox as storage keeps it: events, one delivery per
/// (event, hook), and the attempts made for each delivery.
///
/// A delivery is `pending` until it `succeeded` or `failed` for good. A
/// pending delivery is *due* when its `next_attempt_at` has come and nobody
/// holds an unexpired lease on it. Workers claim due deliveries with a lease
/// (`Storage::claim_due`), so several workers, threads or processes or hosts,
/// share one outbox; a worker that dies leaves its leases to expire.
///
/// Ordering: deliveries that share a hook and a non-empty `ordering_key` are
/// handed out one at a time in enqueue order: a later one is not due while an
/// earlier one is still pending. That is how RUN_START reaches an endpoint
/// before the same run's terminal event, across retries; once RUN_START has
/// failed for good, the next one goes.

#include <runhooks/clock.hpp>
#include <runhooks/event_type.hpp>
#include <runhooks/export.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace runhooks {

/// An event as stored: the payload is sent byte for byte to every hook.
struct OutboxEvent {
  std::string event_id;         ///< UUID
  std::string project_id;
  EventType type = EventType::run_finish;
  std::string payload;          ///< the JSON body, at most the notifier's cap
  std::string idempotency_key;  ///< empty = none; unique per project otherwise
  std::string ordering_key;     ///< names the run; empty = no ordering
  Timestamp created_at;
};

enum class DeliveryStatus : std::uint8_t { pending, succeeded, failed };

/// "pending", "succeeded", "failed".
RUNHOOKS_EXPORT const char* to_string(DeliveryStatus status) noexcept;

/// Why an attempt is made.
enum class AttemptTrigger : std::uint8_t {
  scheduled,  ///< the first attempt or a retry
  manual,     ///< a redelivery (Publisher::redeliver, recover)
  /// A test send (Publisher::send_test): one attempt, to its hook whatever
  /// the hook's state and events, ahead of the hook's backlog, not counted
  /// toward the hook's health and never retried.
  test,
};

/// Header fields in the order sent or received.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// One event to one hook.
struct Delivery {
  std::string delivery_id;  ///< UUID; the wire's `webhook-id` is derived from it
  std::string event_id;
  std::string hook_id;
  std::string project_id;
  std::string ordering_key;
  DeliveryStatus status = DeliveryStatus::pending;
  int attempt_count = 0;
  Timestamp next_attempt_at;
  Timestamp created_at;
  std::optional<Timestamp> completed_at;  ///< set when succeeded or failed
  std::string last_error;                 ///< the latest failed attempt, if any
  AttemptTrigger next_trigger = AttemptTrigger::scheduled;  ///< manual after a redelivery
  std::string lease_owner;                ///< empty when not leased
  std::optional<Timestamp> lease_expires_at;

  friend bool operator==(const Delivery& a, const Delivery& b) {
    return a.delivery_id == b.delivery_id && a.event_id == b.event_id &&
           a.hook_id == b.hook_id && a.project_id == b.project_id &&
           a.ordering_key == b.ordering_key && a.status == b.status &&
           a.attempt_count == b.attempt_count && a.next_attempt_at == b.next_attempt_at &&
           a.created_at == b.created_at && a.completed_at == b.completed_at &&
           a.last_error == b.last_error && a.next_trigger == b.next_trigger &&
           a.lease_owner == b.lease_owner && a.lease_expires_at == b.lease_expires_at;
  }
};

/// What `Storage::enqueue` did.
struct EnqueueResult {
  std::string event_id;
  std::vector<std::string> delivery_ids;
  /// True when the idempotency key was seen before: nothing new was stored
  /// and the ids are those of the first call.
  bool duplicate = false;
};

/// A request to lease up to `limit` due deliveries for `lease` from `now`.
struct ClaimRequest {
  std::string owner;  ///< unique per worker, e.g. host:pid:uuid
  Timestamp now;
  std::chrono::milliseconds lease{std::chrono::seconds(60)};
  std::size_t limit = 64;
  /// At most this many deliveries of one hook in this claim; 0 = no limit.
  /// With `skip_hooks`, how a worker keeps its per-endpoint concurrency cap.
  std::size_t per_hook_limit = 0;
  /// Hooks to take nothing for (those already at their cap in this worker).
  std::vector<std::string> skip_hooks;
  /// When not empty, claim among these deliveries alone (the rest of the
  /// outbox is left to other workers): how `runhooks fire --wait` sends what
  /// it stored and nothing else. The other rules (due, lease, order) hold.
  std::vector<std::string> only_delivery_ids;
};

/// What a worker needs of a hook to send to it, read with the claim: a
/// snapshot, so a hook changed or disabled after the claim is seen by the
/// next claim. Backends make it with `endpoint_snapshot`.
struct EndpointSnapshot {
  std::string hook_id;
  std::string project_id;
  std::string url;
  /// The hook's custom headers, in the order stored.
  HeaderList headers;
  /// The signing secrets valid at the claim's time: the current one first.
  std::vector<std::string> secrets;
  bool enabled = true;
  std::string disabled_reason;
  /// Since when the hook has only failed; nothing after a success.
  std::optional<Timestamp> failing_since;
};

struct Webhook;

/// The snapshot of `hook` at `now`: its custom headers parsed, the signing
/// secrets valid then (the current one first).
RUNHOOKS_EXPORT std::shared_ptr<const EndpointSnapshot> endpoint_snapshot(const Webhook& hook, Timestamp now);

/// A leased delivery with its event and its endpoint, ready to send.
struct ClaimedDelivery {
  Delivery delivery;
  OutboxEvent event;
  /// Shared by the deliveries of one claim that go to the same hook.
  std::shared_ptr<const EndpointSnapshot> endpoint;
};

/// How an attempt ended, from the sender's point of view.
enum class AttemptErrorClass : std::uint8_t {
  none,               ///< a 2xx answer
  http_status,        ///< an answer with a non-2xx status
  timeout,
  connect,
  dns,
  tls,
  blocked_by_policy,  ///< the network policy denied the address
  other,
};

/// How many AttemptErrorClass values there are (for arrays indexed by one).
inline constexpr std::size_t kAttemptErrorClassCount = 8;

RUNHOOKS_EXPORT const char* to_string(AttemptTrigger trigger) noexcept;
RUNHOOKS_EXPORT const char* to_string(AttemptErrorClass error_class) noexcept;

/// One HTTP attempt of one delivery.
struct Attempt {
  std::string attempt_id;  ///< UUID
  std::string delivery_id;
  std::string hook_id;
  Timestamp started_at;
  std::chrono::milliseconds duration{0};
  int status_code = 0;  ///< 0 when no answer was read
  AttemptErrorClass error_class = AttemptErrorClass::none;
  std::string error_message;
  AttemptTrigger trigger = AttemptTrigger::scheduled;
  /// The request as sent, but for its body (the event's payload): the URL
  /// and the header fields, each custom header's value replaced by
  /// "[redacted]" (it may be the receiver's credential); the signature
  /// headers as sent. Empty when no request was made (e.g. the hook was
  /// disabled) and for attempts stored before runhooks 0.3.
  std::string request_url;
  HeaderList request_headers;
  /// The answer's header fields, as received, capped like the body.
  HeaderList response_headers;
  std::string response_body;  ///< the first bytes of the answer, capped
  /// The answer's body or header fields were longer than kept.
  bool response_truncated = false;

  friend bool operator==(const Attempt& a, const Attempt& b) {
    return a.attempt_id == b.attempt_id && a.delivery_id == b.delivery_id &&
           a.hook_id == b.hook_id && a.started_at == b.started_at &&
           a.duration == b.duration && a.status_code == b.status_code &&
           a.error_class == b.error_class && a.error_message == b.error_message &&
           a.trigger == b.trigger && a.request_url == b.request_url &&
           a.request_headers == b.request_headers && a.response_headers == b.response_headers &&
           a.response_body == b.response_body && a.response_truncated == b.response_truncated;
  }
};

/// A delivery's state after an attempt, as the worker decided it: storage
/// writes it as given, releases the lease and sets the next trigger back to
/// scheduled.
struct DeliveryState {
  DeliveryStatus status = DeliveryStatus::pending;  ///< pending = retry
  int attempt_count = 0;
  Timestamp next_attempt_at;              ///< when to retry; kept as it was unless pending
  std::optional<Timestamp> completed_at;  ///< set when succeeded or failed
  std::string last_error;                 ///< empty after a success
};

/// What an attempt tells of its hook's health. Storage applies it with
/// `apply_endpoint_change` to the hook's health as stored, in the transaction
/// that records the attempt, so workers that claimed at different times
/// still leave the hook right.
struct EndpointChange {
  enum class Kind : std::uint8_t {
    none,       ///< says nothing (a delivery failed without a request)
    succeeded,  ///< an answer the hook accepted (2xx)
    failed,     ///< any other outcome of a request
    gone,       ///< 410 Gone: the hook asks to be disabled
  };
  Kind kind = Kind::none;
  Timestamp at;  ///< when the attempt started
  /// failed: a hook that has only failed for this long is disabled.
  std::chrono::milliseconds health_window{0};
};

/// A hook's health as stored: the part of a Webhook that attempts change.
struct EndpointHealth {
  bool enabled = true;
  std::string disabled_reason;
  std::optional<Timestamp> failing_since;  ///< since when it has only failed
  std::optional<Timestamp> disabled_at;    ///< when it was disabled
};

/// The health rule, for every backend: a success ends a streak of failures;
/// a failure starts one, or — `health_window` or more after it began, the
/// hook enabled — disables the hook ("only failed attempts since ..."); 410
/// disables an enabled hook. A disable clears the streak, so the hook starts
/// afresh when enabled again, and is dated with the attempt's start. Returns true when `health` changed; `disabled`
/// says whether this change disabled the hook.
RUNHOOKS_EXPORT bool apply_endpoint_change(EndpointHealth& health, const EndpointChange& change,
                                           bool& disabled);

/// An attempt with what it makes of its delivery and its hook, for
/// `Storage::complete_attempts`.
struct AttemptResult {
  Attempt attempt;
  DeliveryState next;
  EndpointChange endpoint;
};

/// What `Storage::complete_attempts` stored for one attempt.
struct CompletedAttempt {
  Delivery delivery;               ///< as stored after the attempt
  bool endpoint_disabled = false;  ///< its EndpointChange disabled the hook
  std::string disabled_reason;     ///< why, when it did
};

/// Which deliveries to list; empty fields do not filter. Newest first (in
/// the order they were stored, the latest first).
struct DeliveryFilter {
  std::string project_id;
  std::string hook_id;
  std::string event_id;
  std::optional<DeliveryStatus> status;
  std::size_t limit = 100;
  /// Only deliveries completed (succeeded or failed) at or after this time.
  std::optional<Timestamp> completed_since;
  /// The next page: only deliveries listed after this one (stored before
  /// it). `not_found` when no such delivery is stored (any more).
  std::string after_delivery_id;
};

/// Which attempts to list: of one delivery, or of one hook. Newest first.
struct AttemptFilter {
  std::string delivery_id;
  std::string hook_id;
  std::size_t limit = 100;
};

}  // namespace runhooks
