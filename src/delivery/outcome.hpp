#pragma once
// What an HTTP result means for a delivery (DESIGN.md, Delivery semantics).

#include <runhooks/clock.hpp>
#include <runhooks/transport.hpp>

#include <chrono>
#include <optional>
#include <string_view>

namespace runhooks::detail {

enum class Verdict {
  succeeded,         ///< 2xx
  retry,             ///< timeouts, connection errors, 429, 5xx, other 4xx
  failed,            ///< 3xx (redirects are not followed), blocked by policy
  failed_and_disable ///< 410 Gone
};

Verdict judge(const HttpResult& result);

/// A Retry-After value (delta-seconds or an HTTP date) as a delay from `now`;
/// nothing when absent or unreadable. Only 429 and 503 answers are asked.
std::optional<std::chrono::milliseconds> retry_after_delay(const HttpResult& result, Timestamp now);

}  // namespace runhooks::detail
