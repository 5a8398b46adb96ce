#pragma once
// The Retry-After header, read by the transport so that what a delivery
// makes of it (the retry policy) never sees HTTP text.

#include <chrono>
#include <optional>
#include <string_view>

namespace runhooks::detail {

/// A Retry-After value — delta-seconds or an HTTP date — as a delay from
/// `now` (unix time); nothing when it is neither. A date in the past is 0;
/// absurdly many seconds are kept large (the retry policy clamps them).
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now);

}  // namespace runhooks::detail
