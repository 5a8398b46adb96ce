#pragma once
// The rules every backend applies the same way, written once: the messages
// of their errors, how a claim picks among due deliveries, the endpoint
// snapshot a claim carries, and what a completion writes.

#include <runhooks/error.hpp>
#include <runhooks/outbox.hpp>
#include <runhooks/webhook.hpp>

#include <cstddef>
#include <memory>
#include <optional>
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
/// `conflict`: an event with this id is stored already.
Error event_exists();

// ---- enqueue -------------------------------------------------------------------

/// The idempotency rule, for an event whose key was seen before: the same
/// event again (type and payload alike) gets the first call's receipt;
/// another event under the same key is `conflict` on idempotencyKey, and
/// nothing is stored (Stripe does the same).
Result<void> check_same_event(const OutboxEvent& event, std::string_view stored_type, std::string_view stored_payload);

// ---- enqueue_to_hook -----------------------------------------------------------

/// `invalid_argument` when an event sent to one hook carries an idempotency
/// or ordering key (neither has a meaning there).
Result<void> check_event_for_one_hook(const OutboxEvent& event);

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

/// Sets each claimed delivery's endpoint, one snapshot per hook, from
/// `snapshot` (a function from hook id to
/// Result<std::shared_ptr<const EndpointSnapshot>>, null when the hook is
/// gone, called inside the claim's transaction). A delivery whose hook is
/// gone (a delete that raced with the enqueue that made it) is taken out of
/// the claim; the ids of those come back, for the backend to delete.
template <class Snapshot>
Result<std::vector<std::string>> attach_endpoints(std::vector<ClaimedDelivery>& claimed, Snapshot snapshot) {
  std::unordered_map<std::string, std::shared_ptr<const EndpointSnapshot>> snapshots;
  std::vector<std::string> orphans;
  std::vector<ClaimedDelivery> kept;
  kept.reserve(claimed.size());
  for (ClaimedDelivery& c : claimed) {
    const auto found = snapshots.find(c.delivery.hook_id);
    if (found != snapshots.end()) {
      c.endpoint = found->second;
    } else {
      Result<std::shared_ptr<const EndpointSnapshot>> made = snapshot(c.delivery.hook_id);
      if (!made) return std::move(made).error();
      c.endpoint = std::move(*made);
      snapshots.emplace(c.delivery.hook_id, c.endpoint);
    }
    if (c.endpoint) kept.push_back(std::move(c));
    else orphans.push_back(c.delivery.delivery_id);
  }
  claimed = std::move(kept);
  return orphans;
}

// ---- completions and redeliveries -------------------------------------------

/// Stores the state a worker decided: the lease released, the next trigger
/// scheduled.
void apply_completion(Delivery& delivery, const DeliveryState& next);

/// The part of `hook` that attempts change.
EndpointHealth health_of(const Webhook& hook);

/// The health of the hooks one batch of completions touches: each hook read
/// once (with a `load` from hook id to Result<std::optional<EndpointHealth>>,
/// nothing when the hook is gone), each change applied in order with
/// `apply_endpoint_change`, the changed ones listed for writing at the end.
class HealthChanges {
 public:
  /// Applies `change` to the hook's health; true when it disabled the hook
  /// (`reason` then says why).
  template <class Load>
  Result<bool> apply(const std::string& hook_id, const EndpointChange& change, std::string& reason, Load load) {
    if (change.kind == EndpointChange::Kind::none) return false;
    auto entry = hooks_.find(hook_id);
    if (entry == hooks_.end()) {
      Result<std::optional<EndpointHealth>> loaded = load(hook_id);
      if (!loaded) return std::move(loaded).error();
      entry = hooks_.emplace(hook_id, Entry{std::move(*loaded), false}).first;
    }
    if (!entry->second.health) return false;  // the hook is gone
    bool disabled = false;
    if (apply_endpoint_change(*entry->second.health, change, disabled)) entry->second.changed = true;
    if (disabled) reason = entry->second.health->disabled_reason;
    return disabled;
  }
  /// The hooks whose health changed, with their health now.
  std::vector<std::pair<std::string, EndpointHealth>> changed() const;

 private:
  struct Entry {
    std::optional<EndpointHealth> health;
    bool changed = false;
  };
  std::unordered_map<std::string, Entry> hooks_;
};

/// Resets a delivery for a redelivery due at `at`.
void apply_reschedule(Delivery& delivery, Timestamp at, AttemptTrigger trigger);

}  // namespace runhooks::detail
