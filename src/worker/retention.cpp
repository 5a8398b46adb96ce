#include "worker/retention.hpp"

namespace runhooks::detail {

Retention::Retention(Storage& storage, std::chrono::milliseconds attempts, std::chrono::milliseconds events)
    : storage_(storage), attempts_(attempts), events_(events) {}

void Retention::run(Timestamp now, const std::function<void(Error)>& report) {
  // Nothing can be older than the epoch: a retention longer than the clock's
  // reading has nothing to purge (and would underflow).
  const bool attempts_expire = attempts_.count() > 0 && now.time_since_epoch() > attempts_;
  if (attempts_expire && now >= next_attempt_purge_) {
    next_attempt_purge_ = now + kEvery;
    if (auto purged = storage_.purge_attempts(now - attempts_); !purged) report(std::move(purged).error());
  }
  if (events_.count() <= 0 || now < next_event_purge_) return;
  if (now.time_since_epoch() <= events_) return;
  auto purged = storage_.purge_events(now - events_, kEventBatch);
  if (!purged) report(std::move(purged).error());
  next_event_purge_ = purged && *purged == kEventBatch ? now : now + kEvery;
}

}  // namespace runhooks::detail
