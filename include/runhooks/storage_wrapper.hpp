#pragma once
/// A `Storage` that forwards every call to another one, like leveldb's
/// `EnvWrapper`: derive from it and override only the calls to observe or to
/// make fail (fault-injection tests, metrics, logging).

#include <runhooks/storage.hpp>

#include <memory>
#include <utility>

namespace runhooks {

class StorageWrapper : public Storage {
 public:
  /// Shares ownership of `target`, which must not be null.
  explicit StorageWrapper(std::shared_ptr<Storage> target) : target_(std::move(target)) {}

  Storage& target() const noexcept { return *target_; }

  Result<void> insert_hook(const Webhook& hook, std::size_t max_per_project) override {
    return target_->insert_hook(hook, max_per_project);
  }
  Result<Webhook> get_hook(std::string_view hook_id) override {
    return target_->get_hook(hook_id);
  }
  Result<std::vector<Webhook>> list_hooks(std::string_view project_id) override {
    return target_->list_hooks(project_id);
  }
  Result<std::vector<std::string>> list_project_ids() override { return target_->list_project_ids(); }
  Result<Webhook> modify_hook(std::string_view hook_id,
                              const std::function<Result<void>(Webhook&)>& change) override {
    return target_->modify_hook(hook_id, change);
  }
  Result<Webhook> delete_hook(std::string_view hook_id) override {
    return target_->delete_hook(hook_id);
  }
  Result<void> insert_api_key(const ApiKey& key) override {
    return target_->insert_api_key(key);
  }
  Result<ApiKey> find_api_key(std::string_view key_hash) override {
    return target_->find_api_key(key_hash);
  }
  Result<std::vector<ApiKey>> list_api_keys() override { return target_->list_api_keys(); }
  Result<void> delete_api_key(std::string_view key_id) override {
    return target_->delete_api_key(key_id);
  }
  Result<EnqueueResult> enqueue(const OutboxEvent& event) override {
    return target_->enqueue(event);
  }
  Result<EnqueueResult> enqueue_to_hook(const OutboxEvent& event, std::string_view hook_id,
                                        AttemptTrigger trigger) override {
    return target_->enqueue_to_hook(event, hook_id, trigger);
  }
  Result<std::vector<ClaimedDelivery>> claim_due(const ClaimRequest& request) override {
    return target_->claim_due(request);
  }
  Result<std::vector<Result<CompletedAttempt>>> complete_attempts(
      std::string_view owner, const std::vector<AttemptResult>& results) override {
    return target_->complete_attempts(owner, results);
  }
  Result<void> release_leases(std::string_view owner,
                              const std::vector<std::string>& delivery_ids) override {
    return target_->release_leases(owner, delivery_ids);
  }
  Result<Delivery> reschedule_delivery(std::string_view delivery_id, Timestamp at,
                                       AttemptTrigger trigger) override {
    return target_->reschedule_delivery(delivery_id, at, trigger);
  }
  Result<Delivery> get_delivery(std::string_view delivery_id) override {
    return target_->get_delivery(delivery_id);
  }
  Result<std::vector<Delivery>> list_deliveries(const DeliveryFilter& filter) override {
    return target_->list_deliveries(filter);
  }
  Result<std::uint64_t> count_pending() override { return target_->count_pending(); }
  Result<OutboxEvent> get_event(std::string_view event_id) override {
    return target_->get_event(event_id);
  }
  Result<std::vector<Attempt>> list_attempts(const AttemptFilter& filter) override {
    return target_->list_attempts(filter);
  }
  Result<std::size_t> purge_attempts(Timestamp before) override {
    return target_->purge_attempts(before);
  }
  Result<std::size_t> purge_events(Timestamp before, std::size_t limit) override {
    return target_->purge_events(before, limit);
  }
  Result<std::optional<Timestamp>> next_due_at() override { return target_->next_due_at(); }
  std::shared_ptr<void> subscribe_enqueues(std::function<void()> wake) override {
    return target_->subscribe_enqueues(std::move(wake));
  }

 private:
  std::shared_ptr<Storage> target_;
};

}  // namespace runhooks
