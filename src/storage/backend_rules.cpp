#include "storage/backend_rules.hpp"

namespace runhooks::detail {

Error hook_not_found() { return Error::not_found("webhook not found"); }
Error delivery_not_found() { return Error::not_found("delivery not found"); }
Error event_not_found() { return Error::not_found("event not found"); }
Error api_key_not_found() { return Error::not_found("API key not found"); }

Error hook_cap_reached(std::size_t max_per_project) {
  return Error{ErrorCode::conflict, "projectId",
               "project already has the maximum of " + std::to_string(max_per_project) +
                   " webhooks (max_hooks_per_project)"};
}

Error lease_lost() {
  return Error{ErrorCode::conflict, {}, "the lease on this delivery is held by another worker"};
}

Error event_exists() { return Error{ErrorCode::conflict, {}, "an event with this id already exists"}; }

Result<void> check_same_event(const OutboxEvent& event, std::string_view stored_type, std::string_view stored_payload) {
  if (stored_type == to_string(event.type) && stored_payload == event.payload) return {};
  return Error{ErrorCode::conflict, "idempotencyKey",
               "idempotency key was already used for a different event (" + std::string(stored_type) +
                   (stored_type == to_string(event.type) ? " with another payload" : "") +
                   "): nothing was stored; the same key must carry the same event"};
}

Result<void> check_event_for_one_hook(const OutboxEvent& event) {
  if (!event.idempotency_key.empty()) {
    return Error::invalid("idempotencyKey", "an event sent to one hook has no idempotency key");
  }
  if (!event.ordering_key.empty()) {
    return Error::invalid("orderingKey", "an event sent to one hook has no ordering key");
  }
  return {};
}

std::size_t claim_scan_size(const ClaimRequest& request) {
  return request.per_hook_limit == 0 ? request.limit : request.limit * 4 + 64;
}

bool PerHookQuota::take(const std::string& hook_id) {
  std::size_t& taken = taken_[hook_id];
  if (limit_ != 0 && taken >= limit_) return false;
  ++taken;
  return true;
}

EndpointHealth health_of(const Webhook& hook) {
  return EndpointHealth{hook.enabled, hook.disabled_reason, hook.failing_since, hook.disabled_at};
}

std::vector<std::pair<std::string, EndpointHealth>> HealthChanges::changed() const {
  std::vector<std::pair<std::string, EndpointHealth>> out;
  for (const auto& [hook_id, entry] : hooks_) {
    if (entry.changed && entry.health) out.emplace_back(hook_id, *entry.health);
  }
  return out;
}

void apply_completion(Delivery& delivery, const DeliveryState& next) {
  delivery.status = next.status;
  delivery.attempt_count = next.attempt_count;
  delivery.next_attempt_at = next.next_attempt_at;
  delivery.completed_at = next.completed_at;
  delivery.last_error = next.last_error;
  delivery.lease_owner.clear();
  delivery.lease_expires_at.reset();
  delivery.next_trigger = AttemptTrigger::scheduled;
}

void apply_reschedule(Delivery& delivery, Timestamp at, AttemptTrigger trigger) {
  delivery.status = DeliveryStatus::pending;
  delivery.next_attempt_at = at;
  delivery.completed_at.reset();
  delivery.lease_owner.clear();
  delivery.lease_expires_at.reset();
  delivery.next_trigger = trigger;
}

}  // namespace runhooks::detail
