#pragma once
// The rules every backend applies the same way, written once: the messages
// of their errors, how a claim picks among due deliveries, the endpoint
// snapshot a claim carries, and what a completion writes.

#include <runhooks/error.hpp>
#include <runhooks/outbox.hpp>
#include <runhooks/webhook.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace runhooks::detail {

// ---- errors ------------------------------------------------------------------

Error hook_not_found();
Error delivery_not_found();
Error event_not_found();
Error api_key_not_found();
/// `conflict` on projectId: the project has `max_per_project` hooks already.
Error hook_cap_reached(std::size_t max_per_project);
/// `conflict`: a completion from a worker whose lease ran out (another took it).
Error lease_lost();

// ---- claims ------------------------------------------------------------------

/// How many due candidates a claim reads: with a per-hook limit some are
/// passed over, so a few more than wanted, so that a hook with a deep backlog
/// cannot starve the others for more than one claim (it is in skip_hooks
/// once at its cap).
std::size_t claim_scan_size(const ClaimRequest& request);

/// Counts what one claim takes per hook, against `per_hook_limit`.
class PerHookQuota {
 public:
  explicit PerHookQuota(std::size_t per_hook_limit) : limit_(per_hook_limit) {}
  /// Whether one more delivery of `hook_id` fits; if so it is counted.
  bool take(const std::string& hook_id);

 private:
  std::size_t limit_;
  std::unordered_map<std::string, std::size_t> taken_;
};

/// What a worker needs of `hook` to send to it at `now`: the custom headers
/// parsed, the signing secrets still valid.
std::shared_ptr<const EndpointSnapshot> endpoint_snapshot(const Webhook& hook, Timestamp now);

/// Sets each claimed delivery's endpoint, one snapshot per hook, reading
/// each hook once with `load` (a function from hook id to Result<Webhook>,
/// called inside the claim's transaction).
template <class Load>
Result<void> attach_endpoints(std::vector<ClaimedDelivery>& claimed, Timestamp now, Load load) {
  std::unordered_map<std::string, std::shared_ptr<const EndpointSnapshot>> snapshots;
  for (ClaimedDelivery& c : claimed) {
    auto& snapshot = snapshots[c.delivery.hook_id];
    if (!snapshot) {
      Result<Webhook> hook = load(c.delivery.hook_id);
      if (!hook) return std::move(hook).error();
      snapshot = endpoint_snapshot(*hook, now);
    }
    c.endpoint = snapshot;
  }
  return {};
}

// ---- completions and redeliveries -------------------------------------------

/// Stores the state a worker decided: the lease released, the next trigger
/// scheduled.
void apply_completion(Delivery& delivery, const DeliveryState& next);

/// Applies an attempt's endpoint change to the hook as stored; true when it
/// changed the hook (`disabled` then says whether it disabled it).
bool apply_endpoint_change(Webhook& hook, const EndpointChange& change, bool& disabled);

/// Resets a delivery for a redelivery due at `at`.
void apply_reschedule(Delivery& delivery, Timestamp at, AttemptTrigger trigger);

}  // namespace runhooks::detail
