#include <runhooks/registry.hpp>
#include <runhooks/validation.hpp>

#include "core/random.hpp"
#include "model/stored_text.hpp"

#include <algorithm>
#include <cassert>

namespace runhooks {

namespace {
// The reason a hook disabled through an update (the API's PUT) shows.
constexpr const char* kDisabledThroughTheApi = "disabled through the API";

void enable_hook(Webhook& hook) {
  hook.enabled = true;
  hook.disabled_reason.clear();
  hook.disabled_at.reset();
  hook.failing_since.reset();  // the health window starts afresh
}

void disable_hook(Webhook& hook, std::string reason, Timestamp at) {
  if (hook.enabled || !hook.disabled_at) hook.disabled_at = at;  // disabled since, not re-dated
  hook.enabled = false;
  hook.disabled_reason = std::move(reason);
  hook.failing_since.reset();
}

}  // namespace


WebhookRegistry::WebhookRegistry(std::shared_ptr<Storage> storage, RegistryOptions options)
    : storage_(std::move(storage)), options_(std::move(options)) {
  assert(storage_ != nullptr);
}

Timestamp WebhookRegistry::now() const {
  return options_.clock ? options_.clock->now() : Clock::system().now();
}

Result<Webhook> WebhookRegistry::create(std::string_view project_id, const NewWebhook& request) {
  if (auto valid = validate_project_id(project_id); !valid) return std::move(valid).error();
  if (auto valid = validate(request); !valid) return std::move(valid).error();

  auto hook_id = detail::random_uuid();
  if (!hook_id) return std::move(hook_id).error();
  auto secret = detail::new_signing_secret();
  if (!secret) return std::move(secret).error();

  Webhook hook;
  hook.hook_id = std::move(*hook_id);
  hook.project_id = std::string(project_id);
  hook.url = request.url;
  hook.headers = request.headers;
  hook.label = request.label;
  hook.hook_events = unique_events(request.hook_events);
  hook.created_at = hook.updated_at = now();
  hook.enabled = true;
  hook.secret = std::move(*secret);

  if (auto stored = storage_->insert_hook(hook, options_.max_hooks_per_project); !stored) {
    return std::move(stored).error();
  }
  return hook;
}

Result<std::vector<Webhook>> WebhookRegistry::list(std::string_view project_id) {
  if (auto valid = validate_project_id(project_id); !valid) return std::move(valid).error();
  return storage_->list_hooks(project_id);
}

Result<Webhook> WebhookRegistry::get(std::string_view hook_id) {
  auto id = canonical_hook_id(hook_id);
  if (!id) return std::move(id).error();
  return storage_->get_hook(*id);
}

Result<Webhook> WebhookRegistry::modify(std::string_view hook_id, Timestamp at,
                                        const std::function<Result<void>(Webhook&)>& change) {
  auto id = canonical_hook_id(hook_id);
  if (!id) return std::move(id).error();
  return storage_->modify_hook(*id, [&](Webhook& hook) -> Result<void> {
    if (auto changed = change(hook); !changed) return changed;
    hook.updated_at = at;
    return {};
  });
}

Result<Webhook> WebhookRegistry::update(std::string_view hook_id, const WebhookPatch& patch) {
  if (auto valid = validate(patch); !valid) return std::move(valid).error();
  const Timestamp at = now();
  return modify(hook_id, at, [&](Webhook& hook) -> Result<void> {
    if (patch.url) hook.url = *patch.url;
    if (patch.headers.is_set()) hook.headers = patch.headers.value();
    if (patch.headers.is_clear()) hook.headers.reset();
    if (patch.label.is_set()) hook.label = patch.label.value();
    if (patch.label.is_clear()) hook.label.reset();
    if (patch.hook_events) hook.hook_events = unique_events(*patch.hook_events);
    if (patch.enabled && *patch.enabled && !hook.enabled) enable_hook(hook);
    if (patch.enabled && !*patch.enabled) {
      disable_hook(hook, patch.disabled_reason.value_or(kDisabledThroughTheApi), at);
    }
    return {};
  });
}

Result<DeletedWebhook> WebhookRegistry::remove(std::string_view hook_id) {
  auto id = canonical_hook_id(hook_id);
  if (!id) return std::move(id).error();
  auto deleted = storage_->delete_hook(*id);
  if (!deleted) return std::move(deleted).error();
  return DeletedWebhook{deleted->hook_id, deleted->project_id};
}

Result<Webhook> WebhookRegistry::rotate_secret(std::string_view hook_id) {
  auto secret = detail::new_signing_secret();
  if (!secret) return std::move(secret).error();
  const Timestamp at = now();
  const Timestamp expires = at + std::chrono::duration_cast<std::chrono::milliseconds>(
                                     options_.secret_grace_period);
  return modify(hook_id, at, [&](Webhook& hook) -> Result<void> {
    // Expired secrets are dropped here, so the list stays as short as the
    // number of rotations within one grace period.
    auto& retired = hook.retired_secrets;
    retired.erase(std::remove_if(retired.begin(), retired.end(),
                                 [&](const RetiredSecret& r) { return r.expires_at <= at; }),
                  retired.end());
    retired.push_back(RetiredSecret{hook.secret, expires});
    hook.secret = *secret;
    return {};
  });
}

Result<Webhook> WebhookRegistry::enable(std::string_view hook_id) {
  return modify(hook_id, now(), [](Webhook& hook) -> Result<void> {
    enable_hook(hook);
    return {};
  });
}

Result<Webhook> WebhookRegistry::disable(std::string_view hook_id, std::string reason) {
  if (auto valid = detail::validate_stored_text(reason, "reason"); !valid) return std::move(valid).error();
  if (reason.empty()) reason = "disabled";
  const Timestamp at = now();
  return modify(hook_id, at, [&](Webhook& hook) -> Result<void> {
    disable_hook(hook, reason, at);
    return {};
  });
}

}  // namespace runhooks
