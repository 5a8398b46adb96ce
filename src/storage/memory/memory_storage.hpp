#pragma once
// The in-memory backend: the same behaviour as SQLite, in maps under one
// mutex, for tests and short-lived programs. Gone with the last reference.

#include <runhooks/storage.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace runhooks::detail {

class MemoryStorage final : public Storage {
 public:
  Result<void> insert_hook(const Webhook& hook, std::size_t max_per_project) override;
  Result<Webhook> get_hook(std::string_view hook_id) override;
  Result<std::vector<Webhook>> list_hooks(std::string_view project_id) override;
  Result<Webhook> modify_hook(std::string_view hook_id,
                              const std::function<Result<void>(Webhook&)>& change) override;
  Result<Webhook> delete_hook(std::string_view hook_id) override;

  Result<void> insert_api_key(const ApiKey& key) override;
  Result<ApiKey> find_api_key(std::string_view key_hash) override;
  Result<std::vector<ApiKey>> list_api_keys() override;
  Result<void> delete_api_key(std::string_view key_id) override;

  Result<EnqueueResult> enqueue(const OutboxEvent& event) override;
  Result<std::vector<ClaimedDelivery>> claim_due(const ClaimRequest& request) override;
  Result<std::vector<Result<CompletedAttempt>>> complete_attempts(
      std::string_view owner, const std::vector<AttemptResult>& results) override;
  Result<void> release_leases(std::string_view owner,
                              const std::vector<std::string>& delivery_ids) override;
  Result<Delivery> reschedule_delivery(std::string_view delivery_id, Timestamp at,
                                       AttemptTrigger trigger) override;
  Result<Delivery> get_delivery(std::string_view delivery_id) override;
  Result<std::vector<Delivery>> list_deliveries(const DeliveryFilter& filter) override;
  Result<std::vector<std::string>> list_project_ids() override;
  Result<EnqueueResult> enqueue_to_hook(const OutboxEvent& event, std::string_view hook_id,
                                        AttemptTrigger trigger) override;
  Result<std::uint64_t> count_pending() override;
  Result<OutboxEvent> get_event(std::string_view event_id) override;
  Result<std::vector<Attempt>> list_attempts(const AttemptFilter& filter) override;
  Result<std::size_t> purge_attempts(Timestamp before) override;
  Result<std::size_t> purge_events(Timestamp before, std::size_t limit) override;
  Result<std::optional<Timestamp>> next_due_at() override;

 private:
  using Seq = std::uint64_t;

  Delivery* find_delivery(std::string_view delivery_id);
  /// A pending delivery of `event` to `hook_id`, with a fresh id.
  static Result<Delivery> new_delivery(const OutboxEvent& event, const std::string& hook_id);
  /// Stores `event` and its deliveries (made by new_delivery); the ids go to `result`.
  void store_event(const OutboxEvent& event, std::vector<Delivery> deliveries, EnqueueResult& result);
  /// Whether a claim may take `seq` at `now` (ignoring skip_hooks and quotas).
  bool claimable(Seq seq, const Delivery& d, Timestamp now) const;
  void erase_deliveries(const std::vector<Seq>& seqs);  // with their attempts
  // Keep the indexes of pending deliveries in step with a delivery's state.
  void index_pending(Seq seq, const Delivery& d);
  void unindex_pending(Seq seq, const Delivery& d);

  std::mutex mutex_;
  Seq next_seq_ = 1;
  std::map<std::string, Webhook, std::less<>> hooks_;
  std::map<std::string, std::vector<std::string>, std::less<>> hooks_by_project_;  // creation order
  std::vector<ApiKey> api_keys_;
  std::map<std::string, OutboxEvent, std::less<>> events_;
  std::map<std::pair<std::string, std::string>, std::string> idempotency_;  // (project, key) -> event
  std::map<Seq, Delivery> deliveries_;  // in enqueue order
  std::unordered_map<std::string, Seq> delivery_seq_;
  std::map<std::string, std::vector<Seq>, std::less<>> event_deliveries_;  // in enqueue order
  std::map<std::string, std::set<Seq>, std::less<>> hook_deliveries_;  // what a hook's listing walks
  // Pending deliveries by (next attempt, seq): what claims walk.
  std::set<std::pair<Timestamp, Seq>> due_;
  // The pending ones whose next trigger is `test`: claims take these first.
  std::set<std::pair<Timestamp, Seq>> due_tests_;
  // Pending deliveries of each (hook, ordering key), in enqueue order: the
  // first one is the only one that may go.
  std::map<std::pair<std::string, std::string>, std::set<Seq>> runs_;
  std::vector<Attempt> attempts_;  // in insertion order
};

}  // namespace runhooks::detail
