#include "storage/sqlite/hook_snapshots.hpp"

namespace runhooks::detail {

void HookSnapshots::validate(std::int64_t version) {
  if (version == version_) return;
  hooks_.clear();
  version_ = version;
}

const Webhook* HookSnapshots::hook(const std::string& hook_id) const {
  const auto found = hooks_.find(hook_id);
  return found == hooks_.end() ? nullptr : &found->second.hook;
}

void HookSnapshots::make(Kept& kept, Timestamp now) {
  kept.snapshot = endpoint_snapshot(kept.hook, now);
  kept.made_at = now;
  kept.valid_until = Timestamp::max();
  for (const RetiredSecret& retired : kept.hook.retired_secrets) {
    if (retired.expires_at > now && retired.expires_at < kept.valid_until) kept.valid_until = retired.expires_at;
  }
}

std::shared_ptr<const EndpointSnapshot> HookSnapshots::snapshot(const std::string& hook_id, Timestamp now) {
  const auto found = hooks_.find(hook_id);
  if (found == hooks_.end()) return nullptr;
  Kept& kept = found->second;
  // A clock that went back may bring a secret back to life: make it again.
  if (now >= kept.valid_until || now < kept.made_at) make(kept, now);
  return kept.snapshot;
}

std::shared_ptr<const EndpointSnapshot> HookSnapshots::keep(Webhook hook, Timestamp now) {
  Kept& kept = hooks_[hook.hook_id];
  kept.hook = std::move(hook);
  make(kept, now);
  return kept.snapshot;
}

}  // namespace runhooks::detail
