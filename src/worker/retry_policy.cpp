#include <runhooks/retry_policy.hpp>

#include <algorithm>

namespace runhooks {

std::optional<std::chrono::milliseconds> RetryPolicy::next_delay(
    int failed_attempts, std::optional<std::chrono::milliseconds> retry_after,
    double unit_random) const {
  if (failed_attempts < 1 || static_cast<std::size_t>(failed_attempts) > schedule.size()) {
    return std::nullopt;
  }
  const auto scheduled = schedule[static_cast<std::size_t>(failed_attempts - 1)];
  const double base = static_cast<double>(scheduled.count());
  double delay = base * (1.0 + jitter * (2.0 * unit_random - 1.0));
  if (retry_after) {
    delay = std::clamp(static_cast<double>(retry_after->count()), base * retry_after_min_factor,
                       base * retry_after_max_factor);
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::max(0.0, delay)));
}

}  // namespace runhooks
