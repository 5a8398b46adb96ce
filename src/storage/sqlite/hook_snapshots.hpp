#pragma once
// The endpoint snapshots a SQLite store hands out with its claims, kept
// between claims for as long as the hooks table is unchanged: its writes
// (by any process) bump hooks_version, which a claim reads — one row — to
// know whether what is kept still holds. Guarded by the store's mutex.

#include <runhooks/outbox.hpp>
#include <runhooks/webhook.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

namespace runhooks::detail {

class HookSnapshots {
 public:
  /// Forgets every hook unless the table is still at `version`.
  void validate(std::int64_t version);
  /// Forgets every hook (after a write of this store's own to hooks).
  void clear() { version_ = -1; hooks_.clear(); }

  /// The kept hook, or null.
  const Webhook* hook(const std::string& hook_id) const;
  /// The snapshot of a kept hook at `now` (made again once one of its
  /// retired secrets expired), or null when the hook is not kept.
  std::shared_ptr<const EndpointSnapshot> snapshot(const std::string& hook_id, Timestamp now);
  /// Keeps `hook` and returns its snapshot at `now`.
  std::shared_ptr<const EndpointSnapshot> keep(Webhook hook, Timestamp now);

 private:
  struct Kept {
    Webhook hook;
    std::shared_ptr<const EndpointSnapshot> snapshot;
    Timestamp made_at;
    Timestamp valid_until;  ///< when a secret of the snapshot expires
  };
  static void make(Kept& kept, Timestamp now);

  std::int64_t version_ = -1;
  std::unordered_map<std::string, Kept> hooks_;
};

}  // namespace runhooks::detail
