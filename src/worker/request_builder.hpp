#pragma once
// The POST a delivery attempt sends (docs/wire-format.md, The delivery
// request), and what the attempt records of it (docs/delivery.md, What an
// attempt records).

#include <runhooks/error.hpp>
#include <runhooks/outbox.hpp>
#include <runhooks/transport.hpp>

#include <string>
#include <string_view>

namespace runhooks::detail {

/// What an attempt records of its request: the URL and the header fields in
/// the order sent, each of the hook's custom headers with its value replaced
/// by kRedacted (it may be the receiver's credential). Not the body: that is
/// the event's payload, stored once with the event.
struct RecordedRequest {
  std::string url;
  HeaderList headers;
};

/// What a custom header's value is recorded as.
inline constexpr std::string_view kRedacted = "[redacted]";

/// A request and its record.
struct BuiltRequest {
  HttpRequest request;
  RecordedRequest recorded;
};

/// The request for one attempt at `now`: the event's payload, Content-Type,
/// User-Agent (`user_agent`, or "runhooks/<version>" when empty; left out
/// when the hook sets its own), x-timestamp (unix milliseconds), the
/// Standard Webhooks headers signed with each of the endpoint's valid
/// secrets, and the hook's custom headers; with its record. The signing
/// error when the request cannot be signed.
Result<BuiltRequest> build_request(const EndpointSnapshot& endpoint, const Delivery& delivery, std::string payload,
                                   Timestamp now, std::string_view user_agent);

}  // namespace runhooks::detail
