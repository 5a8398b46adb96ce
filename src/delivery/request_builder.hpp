#pragma once
// The POST a delivery attempt sends (wire-format.md §2-3).

#include <runhooks/error.hpp>
#include <runhooks/outbox.hpp>
#include <runhooks/transport.hpp>
#include <runhooks/webhook.hpp>

#include <string>
#include <vector>

namespace runhooks::detail {

/// `webhook-id` of a delivery: "msg_" + its id. Stable across retries and
/// redeliveries, unique per event and endpoint, never contains '.'.
std::string webhook_id(const Delivery& delivery);

/// The request for one attempt at `now`: the event's payload (moved in: the
/// loop needs nothing of it once sent), Content-Type,
/// x-timestamp (unix milliseconds), the Standard Webhooks headers signed with
/// each of `secrets` (the hook's valid ones), and the hook's custom headers.
Result<HttpRequest> build_request(const Webhook& hook, const std::vector<std::string>& secrets,
                                  const Delivery& delivery, std::string payload, Timestamp now);

}  // namespace runhooks::detail
