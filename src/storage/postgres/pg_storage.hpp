#pragma once
// The PostgreSQL backend: several processes on several hosts share one
// outbox. Claims lock candidate rows with FOR UPDATE SKIP LOCKED and lease
// them; enqueues NOTIFY listeners so idle workers wake at once. A small
// connection pool; connections lost to a server restart are re-established.

#include <runhooks/storage.hpp>

#include "storage/postgres/pg_connection.hpp"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace runhooks::detail {

class PostgresStorage final : public Storage {
 public:
  /// Connects (`conninfo`: any libpq connection string or URI), creates or
  /// migrates the schema `schema`.
  static Result<std::shared_ptr<Storage>> open(const std::string& conninfo, const std::string& schema,
                                               const StorageOptions& options);
  ~PostgresStorage() override;

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
  std::shared_ptr<void> subscribe_enqueues(std::function<void()> wake) override;

 private:
  PostgresStorage(std::string conninfo, std::string schema, const StorageOptions& options);
  void listen_loop();
  void notify_subscribers();

  std::string conninfo_;
  std::string schema_;
  PgPool pool_;

  std::mutex subscribers_mutex_;
  std::map<std::uint64_t, std::function<void()>> subscribers_;
  std::uint64_t next_subscriber_ = 1;
  std::atomic<bool> stopping_{false};
  std::thread listener_;  // started with the first subscriber
};

}  // namespace runhooks::detail
