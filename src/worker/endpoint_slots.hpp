#pragma once
// Per-endpoint concurrency of one delivery loop: how many requests each
// hook has in flight, and the claimed deliveries parked until one of its
// slots frees up.

#include <runhooks/outbox.hpp>

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace runhooks::detail {

class EndpointSlots {
 public:
  /// At most `per_endpoint` requests in flight to one hook (at least 1).
  explicit EndpointSlots(std::size_t per_endpoint);

  /// Takes a slot of `hook_id` if one is free.
  bool try_take(const std::string& hook_id);
  /// Keeps `claimed` until a slot of its hook frees up: behind the hook's
  /// other parked deliveries, or, for a test send (next_trigger `test`),
  /// ahead of all but the test sends parked before it.
  void park(ClaimedDelivery claimed);
  /// Frees a slot of `hook_id`; returns its next parked delivery, if any
  /// (it still has to take the slot).
  std::optional<ClaimedDelivery> release(const std::string& hook_id);
  /// Takes the next delivery parked for `hook_id`, if any, freeing no slot
  /// (when the one `release` returned could not use the slot).
  std::optional<ClaimedDelivery> next_parked(const std::string& hook_id);

  /// Takes every delivery parked for `hook_id` out of its queue.
  std::vector<ClaimedDelivery> take_parked(const std::string& hook_id);

  /// Hooks whose slots and queue are full: a claim should take nothing more
  /// for them.
  std::vector<std::string> full_hooks() const;
  std::size_t in_flight() const { return in_flight_; }
  std::size_t parked() const { return parked_; }
  /// Empties the queues, returning what was parked; slots are all freed.
  std::vector<ClaimedDelivery> clear();

 private:
  std::size_t per_endpoint_;
  std::unordered_map<std::string, std::size_t> busy_;
  std::unordered_map<std::string, std::deque<ClaimedDelivery>> queues_;
  std::size_t in_flight_ = 0;
  std::size_t parked_ = 0;
};

}  // namespace runhooks::detail
