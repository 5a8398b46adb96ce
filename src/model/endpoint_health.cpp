// The health rule and the endpoint snapshot: what every backend applies the
// same way when it records an attempt or hands out a claim.

#include <runhooks/outbox.hpp>
#include <runhooks/webhook.hpp>

#include <rapidjson/document.h>

namespace runhooks {

namespace {

std::string health_window_reason(Timestamp failing_since, std::chrono::milliseconds window) {
  return "only failed attempts since " + format_iso8601(failing_since) + " (health window " +
         std::to_string(std::chrono::duration_cast<std::chrono::hours>(window).count()) + " h)";
}

void disable(EndpointHealth& health, std::string reason, Timestamp at) {
  health.enabled = false;
  health.disabled_reason = std::move(reason);
  health.disabled_at = at;
  health.failing_since.reset();  // a fresh health window once it is enabled again
}

}  // namespace

bool apply_endpoint_change(EndpointHealth& health, const EndpointChange& change, bool& disabled) {
  disabled = false;
  switch (change.kind) {
    case EndpointChange::Kind::none: return false;
    case EndpointChange::Kind::succeeded:
      if (!health.failing_since) return false;
      health.failing_since.reset();
      return true;
    case EndpointChange::Kind::gone:
      if (!health.enabled) return false;
      disable(health, "endpoint answered 410 Gone", change.at);
      disabled = true;
      return true;
    case EndpointChange::Kind::failed:
      if (!health.failing_since) {
        health.failing_since = change.at;
        return true;
      }
      if (!health.enabled || change.at - *health.failing_since < change.health_window) return false;
      disable(health, health_window_reason(*health.failing_since, change.health_window), change.at);
      disabled = true;
      return true;
  }
  return false;
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

}  // namespace runhooks
