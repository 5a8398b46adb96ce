#pragma once
// A Worker's figures (WorkerStats), counted by its delivery threads and read
// by `Worker::stats` from any thread.

#include <runhooks/outbox.hpp>
#include <runhooks/worker.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace runhooks::detail {

static_assert(static_cast<std::size_t>(AttemptErrorClass::other) + 1 == kAttemptErrorClassCount,
              "attempts_by_outcome has one entry per AttemptErrorClass, `other` the last");

/// The bucket of `histogram` a duration falls in: the first whose upper
/// bound it does not exceed (Prometheus' `le`), or the last (+Inf).
inline std::size_t duration_bucket(std::chrono::milliseconds duration) {
  const double seconds = static_cast<double>(duration.count()) / 1000.0;
  const auto& bounds = DurationHistogram::kBounds;
  return static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin());
}

/// Counters shared by a Worker's threads.
class WorkerCounters {
 public:
  std::atomic<std::uint64_t> succeeded{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> retried{0};
  std::atomic<std::uint64_t> storage_errors{0};
  std::atomic<std::uint64_t> hooks_disabled{0};

  /// A request that ended with `error_class` after `duration`.
  void count_attempt(AttemptErrorClass error_class, std::chrono::milliseconds duration) {
    const auto outcome = std::min(static_cast<std::size_t>(error_class), kAttemptErrorClassCount - 1);
    std::lock_guard lock(attempts_mutex_);
    ++by_outcome_[outcome];
    ++durations_.counts[duration_bucket(duration)];
    duration_ms_ += static_cast<std::uint64_t>(std::max<std::int64_t>(0, duration.count()));
  }

  /// Every figure but `in_flight`. The attempt figures are read together:
  /// `attempts` is the sum by outcome and the histogram's count.
  WorkerStats read() const {
    WorkerStats s;
    s.succeeded = succeeded;
    s.failed = failed;
    s.retried = retried;
    s.storage_errors = storage_errors;
    s.hooks_disabled = hooks_disabled;
    std::lock_guard lock(attempts_mutex_);
    s.attempts_by_outcome = by_outcome_;
    for (std::uint64_t n : by_outcome_) s.attempts += n;
    s.attempt_duration = durations_;
    // Summed in whole milliseconds: no rounding drifts however many are added.
    s.attempt_duration.sum_seconds = static_cast<double>(duration_ms_) / 1000.0;
    return s;
  }

 private:
  mutable std::mutex attempts_mutex_;
  std::array<std::uint64_t, kAttemptErrorClassCount> by_outcome_{};
  DurationHistogram durations_;
  std::uint64_t duration_ms_ = 0;
};

}  // namespace runhooks::detail
