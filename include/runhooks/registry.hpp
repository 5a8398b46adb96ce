#pragma once
/// The webhook registry: create, list, get, update, delete, with validation.

#include <runhooks/clock.hpp>
#include <runhooks/error.hpp>
#include <runhooks/export.hpp>
#include <runhooks/storage.hpp>
#include <runhooks/webhook.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace runhooks {

struct RegistryOptions {
  /// A create beyond this many hooks in one project fails with `conflict`.
  std::size_t max_hooks_per_project = 100;
  /// How long a rotated-out secret keeps signing deliveries.
  std::chrono::milliseconds secret_grace_period{std::chrono::hours(24)};
  /// Where timestamps come from; null means `Clock::system()`.
  std::shared_ptr<const Clock> clock;
};

/// CRUD over the hooks of a `Storage`, enforcing the wire format's rules.
///
/// Thread-safe: one registry may serve many threads, and several registries
/// (in several processes) may share one store. A call that fails has changed
/// nothing. Errors: `invalid_argument` (field + limit), `not_found`,
/// `conflict` (the per-project cap), and the storage's `unavailable` /
/// `internal`.
///
/// **Example**
/// ```
/// auto store = runhooks::open_storage("sqlite:hooks.db").value();
/// runhooks::WebhookRegistry registry(store);
/// auto hook = registry.create("proj_abc123", {"https://example.com/hook"});
/// ```
class RUNHOOKS_EXPORT WebhookRegistry {
 public:
  /// Shares ownership of `storage`, which must not be null.
  explicit WebhookRegistry(std::shared_ptr<Storage> storage, RegistryOptions options = {});

  /// Validates and stores a new hook: fresh UUID v4 id, fresh signing secret,
  /// created/updated now, enabled.
  Result<Webhook> create(std::string_view project_id, const NewWebhook& hook);

  /// Every hook of the project, oldest first.
  Result<std::vector<Webhook>> list(std::string_view project_id);

  /// One hook by its globally unique id (a UUID in either case).
  Result<Webhook> get(std::string_view hook_id);

  /// Applies a partial update; `updated_at` becomes now.
  Result<Webhook> update(std::string_view hook_id, const WebhookPatch& patch);

  /// Deletes a hook with its pending deliveries.
  Result<DeletedWebhook> remove(std::string_view hook_id);

  /// Makes a fresh signing secret current. The old one keeps signing for the
  /// grace period (options), so receivers can accept both while they switch.
  Result<Webhook> rotate_secret(std::string_view hook_id);

  /// Re-enables a hook (clears the reason).
  Result<Webhook> enable(std::string_view hook_id);

  /// Disables a hook: no deliveries are made to it until it is enabled.
  /// `reason` (e.g. "410 Gone") is kept for the application to show; one
  /// that is not valid UTF-8 is `invalid_argument` on field `reason`.
  Result<Webhook> disable(std::string_view hook_id, std::string reason);

  const RegistryOptions& options() const noexcept { return options_; }

 private:
  Timestamp now() const;
  /// Applies `change` and dates the hook `at` (one time for every field a
  /// change dates, so `disabledAt` and `updatedAt` agree).
  Result<Webhook> modify(std::string_view hook_id, Timestamp at,
                         const std::function<Result<void>(Webhook&)>& change);

  std::shared_ptr<Storage> storage_;
  RegistryOptions options_;
};

}  // namespace runhooks
