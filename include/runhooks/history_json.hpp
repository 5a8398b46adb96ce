#pragma once
/// Delivery history as JSON, as the management API shows it
/// (docs/wire-format.md, Delivery history): the Delivery and Attempt objects.

#include <runhooks/export.hpp>
#include <runhooks/outbox.hpp>

#include <string>

namespace runhooks {

/// The Delivery object: deliveryId, webhookId (the `webhook-id` header
/// value), hookId, projectId, eventId, status, attempts, nextAttemptAt
/// (pending only, else null), lastError (or null), createdAt, completedAt
/// (or null); with `event`, its type as `event`; with `with_payload` too,
/// the payload as a JSON object.
RUNHOOKS_EXPORT std::string to_json(const Delivery& delivery, const OutboxEvent* event = nullptr,
                                    bool with_payload = false);

/// The Attempt object: attemptId, deliveryId, attemptedAt, trigger,
/// durationMs, outcome (`succeeded` for a 2xx answer, else the
/// AttemptErrorClass name), statusCode (or null), error (or null), request
/// {url, headers, body} (null when no request was recorded; `body` is the
/// payload of `event`, null without it) and response {headers, body,
/// truncated} (null when nothing was read). Header objects join repeated
/// names with ", "; bytes that are not UTF-8 read as U+FFFD.
RUNHOOKS_EXPORT std::string to_json(const Attempt& attempt, const OutboxEvent* event = nullptr);

/// The `webhook-id` a delivery is sent with: "msg_" and its id. Stable
/// across retries and redeliveries, unique per event and endpoint, never
/// contains '.' (the signed content joins it with '.').
RUNHOOKS_EXPORT std::string webhook_id(const Delivery& delivery);

}  // namespace runhooks
