#pragma once
// The attempts a delivery loop has made and not yet stored, written in one
// batch (one transaction) per loop iteration. When storage fails the batch is
// kept and tried again after a pause that doubles, so a failing store is not
// hammered, nor the application's log flooded.

#include <runhooks/storage.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace runhooks::detail {

class AttemptWriter {
 public:
  /// What was stored for one attempt.
  struct Written {
    AttemptResult result;
    std::string event_id;
    CompletedAttempt completed;
  };

  /// Writes as `owner`; the pause after failures never exceeds a quarter of
  /// `lease` (which must not run out for want of a try), nor 5 s.
  AttemptWriter(Storage& storage, std::string owner, std::chrono::milliseconds lease);

  void add(AttemptResult result, std::string event_id);
  std::size_t pending() const { return results_.size(); }
  /// Whether a write may be tried now (not pausing after a failure).
  bool ready() const;
  /// How long until `ready`; zero when it is.
  std::chrono::milliseconds pause_left() const;

  /// Writes every pending attempt, unless pausing (`even_if_pausing`: the
  /// loop's last chance at stop). Returns what was stored — items whose lease
  /// was lost or whose delivery is gone are dropped (another worker sends
  /// them again) — or the storage error, the batch kept for later.
  Result<std::vector<Written>> write(bool even_if_pausing = false);

 private:
  Storage& storage_;
  std::string owner_;
  std::chrono::milliseconds longest_pause_;
  std::chrono::milliseconds pause_{};  // after a failed write; 0 when the last one worked
  std::chrono::steady_clock::time_point next_try_{};
  std::vector<AttemptResult> results_;
  std::vector<std::string> event_ids_;
};

}  // namespace runhooks::detail
