#pragma once
/// When a failed delivery is tried again.

#include <runhooks/export.hpp>

#include <chrono>
#include <optional>
#include <vector>

namespace runhooks {

/// A retry schedule: `schedule[i]` is the delay after the (i+1)-th failed
/// attempt, so a delivery gets `schedule.size() + 1` attempts in all.
struct RUNHOOKS_EXPORT RetryPolicy {
  /// Svix's schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (~27.6 h, 8 attempts).
  std::vector<std::chrono::milliseconds> schedule = {
      std::chrono::seconds(5), std::chrono::minutes(5), std::chrono::minutes(30),
      std::chrono::hours(2),   std::chrono::hours(5),   std::chrono::hours(10),
      std::chrono::hours(10)};
  /// Each delay is scaled by a random factor in [1 - jitter, 1 + jitter].
  double jitter = 0.2;
  /// A `Retry-After` answer (429, 503) replaces the scheduled delay but is
  /// clamped to [scheduled × min, scheduled × max] (Svix honours 1–2×).
  double retry_after_min_factor = 1.0;
  double retry_after_max_factor = 2.0;

  /// The delay before the next attempt after `failed_attempts` failures (1 for
  /// the first), or nothing when the schedule is exhausted. `unit_random` is
  /// a number in [0, 1) that picks the jitter (tests pass a fixed one).
  std::optional<std::chrono::milliseconds> next_delay(
      int failed_attempts, std::optional<std::chrono::milliseconds> retry_after,
      double unit_random) const;
};

}  // namespace runhooks
