#pragma once
// Retention: a delivery loop's housekeeping. Attempts older than their
// retention go hourly; finished events (with their deliveries and attempts)
// go in small batches, one per loop iteration while there is more, so a
// first purge of a large store does not hold deliveries back.

#include <runhooks/storage.hpp>

#include <chrono>
#include <functional>

namespace runhooks::detail {

class Retention {
 public:
  /// A zero retention keeps that kind of record.
  Retention(Storage& storage, std::chrono::milliseconds attempts, std::chrono::milliseconds events);

  /// Purges what is due at `now`; storage errors go to `report`.
  void run(Timestamp now, const std::function<void(Error)>& report);

  static constexpr std::size_t kEventBatch = 100;
  static constexpr std::chrono::hours kEvery{1};

 private:
  Storage& storage_;
  std::chrono::milliseconds attempts_;
  std::chrono::milliseconds events_;
  Timestamp next_attempt_purge_{};
  Timestamp next_event_purge_{};
};

}  // namespace runhooks::detail
