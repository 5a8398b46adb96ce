#pragma once
/// The webhook model: what is stored, what a create asks for, what an update
/// changes.

#include <runhooks/clock.hpp>
#include <runhooks/event_type.hpp>
#include <runhooks/export.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace runhooks {

/// A signing secret that was rotated out but still signs deliveries until
/// `expires_at`, so receivers can switch keys without dropping any.
struct RetiredSecret {
  std::string secret;  ///< `whsec_...`
  Timestamp expires_at;

  friend bool operator==(const RetiredSecret& a, const RetiredSecret& b) {
    return a.secret == b.secret && a.expires_at == b.expires_at;
  }
};

/// A registered endpoint, as stored. The wire-format object (docs/wire-format.md,
/// The Webhook object) is `hook_id` ... `updated_at`; the rest is runhooks' own state.
struct RUNHOOKS_EXPORT Webhook {
  std::string hook_id;     ///< canonical lowercase UUID v4, globally unique
  std::string project_id;  ///< 1-255 printable ASCII characters
  std::string url;         ///< absolute http(s) URL, at most 2048 characters
  std::optional<std::string> headers;  ///< JSON object string as given, or null
  std::optional<std::string> label;    ///< 1-255 characters, or null
  std::vector<EventType> hook_events;  ///< no duplicates; empty = every event
  Timestamp created_at;
  Timestamp updated_at;

  bool enabled = true;
  std::string disabled_reason;  ///< why it was disabled; empty when enabled
  std::string secret;           ///< current signing secret, `whsec_` + base64
  std::vector<RetiredSecret> retired_secrets;  ///< older secrets still valid
  /// When the current run of failed attempts began; empty after a success.
  /// The notifier disables a hook failing for longer than its health window.
  std::optional<Timestamp> failing_since;
  /// When it was disabled (by hand, a 410 or the health window); empty when enabled.
  std::optional<Timestamp> disabled_at;

  /// True when this hook subscribes to `type` (an empty list means all).
  bool accepts(EventType type) const noexcept;

  /// The secrets to sign with at `now`: the current one first, then every
  /// retired one that has not expired.
  std::vector<std::string> signing_secrets(Timestamp now) const;

  friend bool operator==(const Webhook& a, const Webhook& b) {
    return a.hook_id == b.hook_id && a.project_id == b.project_id &&
           a.url == b.url && a.headers == b.headers && a.label == b.label &&
           a.hook_events == b.hook_events && a.created_at == b.created_at &&
           a.updated_at == b.updated_at && a.enabled == b.enabled &&
           a.disabled_reason == b.disabled_reason && a.secret == b.secret &&
           a.retired_secrets == b.retired_secrets && a.failing_since == b.failing_since &&
           a.disabled_at == b.disabled_at;
  }
  friend bool operator!=(const Webhook& a, const Webhook& b) { return !(a == b); }
};

/// What `WebhookRegistry::create` takes (the wire's CreateWebhookRequest).
struct NewWebhook {
  std::string url;
  std::optional<std::string> headers;
  std::optional<std::string> label;
  std::vector<EventType> hook_events;  ///< duplicates collapse; empty = all
};

/// One field of a partial update: leave it as it is, set it, or (for the
/// nullable fields) clear it to null. Default-constructed means leave.
///
/// **Example**
/// ```
/// WebhookPatch patch;
/// patch.label.set("nightly");
/// patch.headers.clear();
/// ```
template <class T>
class PatchField {
 public:
  enum class Action { leave, set, clear };

  void set(T value) { action_ = Action::set; value_ = std::move(value); }
  void clear() { action_ = Action::clear; value_.reset(); }

  Action action() const noexcept { return action_; }
  bool is_leave() const noexcept { return action_ == Action::leave; }
  bool is_set() const noexcept { return action_ == Action::set; }
  bool is_clear() const noexcept { return action_ == Action::clear; }
  /// The new value; only meaningful when `is_set()`.
  const T& value() const { return *value_; }

 private:
  Action action_ = Action::leave;
  std::optional<T> value_;
};

/// What `WebhookRegistry::update` takes (the wire's UpdateWebhookRequest).
/// `url` and `hook_events` cannot be null, so they are set or left alone.
struct WebhookPatch {
  std::optional<std::string> url;
  PatchField<std::string> headers;
  PatchField<std::string> label;
  std::optional<std::vector<EventType>> hook_events;
  /// Enables (clearing the reason and starting a fresh health window) or
  /// disables the hook; a runhooks extension of the wire format.
  std::optional<bool> enabled;
  /// With `enabled = false`: why, shown with the hook (default "disabled
  /// through the API"). Refused otherwise.
  std::optional<std::string> disabled_reason;

  /// True when no field is set or cleared: such a patch is refused.
  bool empty() const noexcept {
    return !url && headers.is_leave() && label.is_leave() && !hook_events && !enabled;
  }
};

/// What `WebhookRegistry::remove` returns (the wire's delete answer).
struct DeletedWebhook {
  std::string hook_id;
  std::string project_id;
};

}  // namespace runhooks
