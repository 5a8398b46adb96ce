#include "storage/backend_rules.hpp"

#include <rapidjson/document.h>

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

std::size_t claim_scan_size(const ClaimRequest& request) {
  return request.per_hook_limit == 0 ? request.limit : request.limit * 4 + 64;
}

bool PerHookQuota::take(const std::string& hook_id) {
  std::size_t& taken = taken_[hook_id];
  if (limit_ != 0 && taken >= limit_) return false;
  ++taken;
  return true;
}

std::shared_ptr<const EndpointSnapshot> endpoint_snapshot(const Webhook& hook, Timestamp now) {
  auto snapshot = std::make_shared<EndpointSnapshot>();
  snapshot->hook_id = hook.hook_id;
  snapshot->project_id = hook.project_id;
  snapshot->url = hook.url;
  snapshot->secrets = hook.signing_secrets(now);
  snapshot->enabled = hook.enabled;
  snapshot->disabled_reason = hook.disabled_reason;
  snapshot->failing_since = hook.failing_since;
  if (hook.headers) {
    // Validated when stored: a JSON object of string values, no reserved names.
    rapidjson::Document custom;
    custom.Parse(hook.headers->data(), hook.headers->size());
    if (custom.IsObject()) {
      for (const auto& m : custom.GetObject()) {
        if (!m.value.IsString()) continue;
        snapshot->headers.emplace_back(std::string(m.name.GetString(), m.name.GetStringLength()),
                                       std::string(m.value.GetString(), m.value.GetStringLength()));
      }
    }
  }
  return snapshot;
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

bool apply_endpoint_change(Webhook& hook, const EndpointChange& change, bool& disabled) {
  disabled = false;
  switch (change.kind) {
    case EndpointChange::Kind::none: return false;
    case EndpointChange::Kind::recovered:
      if (!hook.failing_since) return false;
      hook.failing_since.reset();
      return true;
    case EndpointChange::Kind::failing:
      if (hook.failing_since) return false;
      hook.failing_since = change.at;
      return true;
    case EndpointChange::Kind::disable:
      if (!hook.enabled) return false;
      if (change.only_if_failing_since_by &&
          (!hook.failing_since || *hook.failing_since > *change.only_if_failing_since_by)) {
        return false;
      }
      hook.enabled = false;
      hook.disabled_reason = change.reason;
      hook.failing_since.reset();  // a fresh health window once it is enabled again
      disabled = true;
      return true;
  }
  return false;
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
