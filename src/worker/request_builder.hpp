#pragma once
// The POST a delivery attempt sends (docs/wire-format.md, The delivery request).

#include <runhooks/error.hpp>
#include <runhooks/outbox.hpp>
#include <runhooks/transport.hpp>

#include <string>

namespace runhooks::detail {

/// `webhook-id` of a delivery: "msg_" + its id. Stable across retries and
/// redeliveries, unique per event and endpoint, never contains '.'.
std::string webhook_id(const Delivery& delivery);

/// The request for one attempt at `now`: the event's payload, Content-Type,
/// x-timestamp (unix milliseconds), the Standard Webhooks headers signed with
/// each of the endpoint's valid secrets, and the hook's custom headers.
Result<HttpRequest> build_request(const EndpointSnapshot& endpoint, const Delivery& delivery, std::string payload,
                                  Timestamp now);

}  // namespace runhooks::detail
