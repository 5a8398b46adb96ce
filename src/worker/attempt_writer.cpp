#include "worker/attempt_writer.hpp"

#include <algorithm>
#include <exception>

namespace runhooks::detail {

namespace {
constexpr std::chrono::milliseconds kFirstPause{100};
constexpr std::chrono::milliseconds kLongestPause{5000};
}  // namespace

AttemptWriter::AttemptWriter(Storage& storage, std::string owner, std::chrono::milliseconds lease)
    : storage_(storage),
      owner_(std::move(owner)),
      longest_pause_(std::max(kFirstPause, std::min(kLongestPause, lease / 4))) {}

void AttemptWriter::add(AttemptResult result, std::string event_id) {
  results_.push_back(std::move(result));
  event_ids_.push_back(std::move(event_id));
}

bool AttemptWriter::ready() const { return std::chrono::steady_clock::now() >= next_try_; }

std::chrono::milliseconds AttemptWriter::pause_left() const {
  const auto left = next_try_ - std::chrono::steady_clock::now();
  // Rounded up: not 0 in its last millisecond, which would spin.
  return std::max(std::chrono::milliseconds(0), std::chrono::ceil<std::chrono::milliseconds>(left));
}

Result<std::vector<AttemptWriter::Written>> AttemptWriter::write(bool even_if_pausing) {
  std::vector<Written> written;
  if (results_.empty() || (!even_if_pausing && !ready())) return written;
  Result<std::vector<Result<CompletedAttempt>>> stored = Error{ErrorCode::internal, {}, ""};
  try {
    stored = storage_.complete_attempts(owner_, results_);
  } catch (const std::exception& e) {
    // An application's own Storage that throws: a failed write like any other.
    stored = Error{ErrorCode::internal, {}, std::string("storing attempts threw: ") + e.what()};
  } catch (...) {
    stored = Error{ErrorCode::internal, {}, "storing attempts threw"};
  }
  if (!stored) {
    // Kept for a later try; if our leases expire meanwhile the writes come
    // back as conflicts and another worker sends again (at-least-once).
    pause_ = std::clamp(pause_ * 2, kFirstPause, longest_pause_);
    next_try_ = std::chrono::steady_clock::now() + pause_;
    return std::move(stored).error();
  }
  pause_ = {};
  next_try_ = {};
  for (std::size_t i = 0; i < results_.size(); ++i) {
    if (!(*stored)[i]) continue;  // lease lost or delivery deleted: nothing to report
    written.push_back(Written{std::move(results_[i]), std::move(event_ids_[i]), std::move(*(*stored)[i])});
  }
  results_.clear();
  event_ids_.clear();
  return written;
}

}  // namespace runhooks::detail
