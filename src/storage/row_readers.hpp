#pragma once
// Records from the rows of the SQL backends, written once for all of them.
// A Row gives column values by index: text, nullable_text, integer, boolean,
// is_null, bytes. Each reader comes with the SELECT list it reads (a macro,
// so SQL text can be built from it at compile time): a backend selects with
// that list and reads with that reader, and a column added to one is added
// to the other here, in one place.

#include <runhooks/api_key.hpp>
#include <runhooks/outbox.hpp>
#include <runhooks/webhook.hpp>

#include "storage/record_codec.hpp"

namespace runhooks::detail {

#define RUNHOOKS_HOOK_COLUMNS                                                            \
  "hook_id, project_id, url, headers, label, hook_events, secret, retired_secrets, "    \
  "enabled, disabled_reason, created_at, updated_at, failing_since, disabled_at"
template <class Row>
Webhook read_hook_row(const Row& r) {
  Webhook h;
  h.hook_id = r.text(0);
  h.project_id = r.text(1);
  h.url = r.text(2);
  h.headers = r.nullable_text(3);
  h.label = r.nullable_text(4);
  h.hook_events = decode_events(r.text(5));
  h.secret = r.text(6);
  h.retired_secrets = decode_retired_secrets(r.text(7));
  h.enabled = r.boolean(8);
  h.disabled_reason = r.text(9);
  h.created_at = from_millis(r.integer(10));
  h.updated_at = from_millis(r.integer(11));
  if (!r.is_null(12)) h.failing_since = from_millis(r.integer(12));
  if (!r.is_null(13)) h.disabled_at = from_millis(r.integer(13));
  return h;
}

/// From a table aliased `d`.
#define RUNHOOKS_DELIVERY_COLUMNS                                                         \
  "d.delivery_id, d.event_id, d.hook_id, d.project_id, d.ordering_key, d.status, "        \
  "d.attempt_count, d.next_attempt_at, d.created_at, d.completed_at, d.last_error, "      \
  "d.next_trigger, d.lease_owner, d.lease_expires_at"
template <class Row>
Delivery read_delivery_row(const Row& r) {
  Delivery d;
  d.delivery_id = r.text(0);
  d.event_id = r.text(1);
  d.hook_id = r.text(2);
  d.project_id = r.text(3);
  d.ordering_key = r.text(4);
  d.status = static_cast<DeliveryStatus>(r.integer(5));
  d.attempt_count = static_cast<int>(r.integer(6));
  d.next_attempt_at = from_millis(r.integer(7));
  d.created_at = from_millis(r.integer(8));
  if (!r.is_null(9)) d.completed_at = from_millis(r.integer(9));
  d.last_error = r.text(10);
  d.next_trigger = static_cast<AttemptTrigger>(r.integer(11));
  d.lease_owner = r.text(12);
  if (!r.is_null(13)) d.lease_expires_at = from_millis(r.integer(13));
  return d;
}
inline constexpr int kDeliveryColumnCount = 14;

/// From a table aliased `e`; read from column `first` on.
#define RUNHOOKS_EVENT_COLUMNS                                                            \
  "e.event_id, e.project_id, e.event_type, e.payload, e.idempotency_key, e.ordering_key, " \
  "e.created_at"
template <class Row>
OutboxEvent read_event_row(const Row& r, int first) {
  OutboxEvent e;
  e.event_id = r.text(first);
  e.project_id = r.text(first + 1);
  e.type = parse_event_type(r.text(first + 2)).value_or(EventType::run_finish);
  e.payload = r.text(first + 3);
  e.idempotency_key = r.nullable_text(first + 4).value_or("");
  e.ordering_key = r.text(first + 5);
  e.created_at = from_millis(r.integer(first + 6));
  return e;
}
inline constexpr int kEventColumnCount = 7;

#define RUNHOOKS_ATTEMPT_COLUMNS                                                          \
  "attempt_id, delivery_id, hook_id, started_at, duration_ms, status_code, error_class, "  \
  "error_message, trigger, response_body, request_url, request_headers, response_headers, "    \
  "response_truncated"
template <class Row>
Attempt read_attempt_row(const Row& r) {
  Attempt a;
  a.attempt_id = r.text(0);
  a.delivery_id = r.text(1);
  a.hook_id = r.text(2);
  a.started_at = from_millis(r.integer(3));
  a.duration = std::chrono::milliseconds(r.integer(4));
  a.status_code = static_cast<int>(r.integer(5));
  a.error_class = static_cast<AttemptErrorClass>(r.integer(6));
  a.error_message = r.text(7);
  a.trigger = static_cast<AttemptTrigger>(r.integer(8));
  a.response_body = r.bytes(9);
  a.request_url = r.text(10);
  a.request_headers = decode_headers(r.bytes(11));
  a.response_headers = decode_headers(r.bytes(12));
  a.response_truncated = r.boolean(13);
  return a;
}

#define RUNHOOKS_API_KEY_COLUMNS "key_id, key_hash, label, projects, all_projects, read_only, created_at"
template <class Row>
ApiKey read_api_key_row(const Row& r) {
  ApiKey k;
  k.key_id = r.text(0);
  k.key_hash = r.text(1);
  k.label = r.text(2);
  k.projects = decode_projects(r.text(3));
  k.all_projects = r.boolean(4);
  k.read_only = r.boolean(5);
  k.created_at = from_millis(r.integer(6));
  return k;
}

}  // namespace runhooks::detail
