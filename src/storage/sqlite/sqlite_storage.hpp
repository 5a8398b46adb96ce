#pragma once
// The SQLite backend: one file, WAL, one connection per Storage guarded by a
// mutex (SQLite serializes writers anyway), prepared statements cached on the
// connection. Several processes may open the same file: writes take the
// file's write lock with BEGIN IMMEDIATE and wait up to the busy timeout.

#include <runhooks/storage.hpp>

#include "storage/group_commit.hpp"
#include "storage/sqlite/hook_snapshots.hpp"
#include "storage/sqlite/sqlite_connection.hpp"
#include "storage/sqlite/wal_checkpointer.hpp"
#include "storage/sqlite/wal_watcher.hpp"

#include <memory>
#include <mutex>

namespace runhooks::detail {

class SqliteStorage final : public Storage, public std::enable_shared_from_this<SqliteStorage> {
 public:
  /// Opens or creates `path` and migrates it. `read_only` refuses every write.
  static Result<std::shared_ptr<Storage>> open(const std::string& path, bool read_only,
                                               const StorageOptions& options);
  ~SqliteStorage() override;

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

  /// Linux: a WalWatcher (inotify) on the file, waking on commits of other
  /// connections — other processes, other Storages of this one — and not on
  /// this Storage's own. Null for an in-memory database, elsewhere, or when
  /// inotify cannot be set up (the worker polls).
  std::shared_ptr<void> subscribe_enqueues(std::function<void()> wake) override;

 private:
  SqliteStorage(std::unique_ptr<SqliteConnection> connection, std::chrono::milliseconds busy_timeout)
      : connection_(std::move(connection)), busy_timeout_(busy_timeout) {}

  using EnqueueBatch = GroupCommit<OutboxEvent, Result<EnqueueResult>>;
  /// The queued events of concurrent enqueue calls, in one transaction.
  void write_enqueues(std::vector<EnqueueBatch::Entry*>& batch) noexcept;

  // Helpers called with mutex_ held.
  /// One event's enqueue inside the caller's transaction; `wrote` says
  /// whether it wrote anything before it failed.
  Result<EnqueueResult> enqueue_one(const OutboxEvent& event, bool& wrote);
  Result<Webhook> load_hook(std::string_view hook_id);
  Result<void> store_hook(const Webhook& hook);
  /// The delivery, and its row's seq when asked for (for store_delivery).
  Result<Delivery> load_delivery(std::string_view delivery_id, std::int64_t* seq = nullptr);
  Result<void> store_delivery(const Delivery& delivery, std::int64_t seq);
  Result<void> insert_attempt(const Attempt& attempt);
  /// Moves done_recent into the index by hook once it holds kDoneRecentMove.
  Result<void> move_done_into_index();
  /// list_deliveries' two ways, for the page below seq `before`.
  Result<std::vector<Delivery>> list_by_seq(const DeliveryFilter& filter, std::int64_t before);
  Result<std::vector<Delivery>> list_hook_deliveries(const DeliveryFilter& filter, std::int64_t before);
  static void bind_listing(Statement& stmt, const DeliveryFilter& filter, std::int64_t before);
  /// How many writes hooks has had (hooks_version): whether snapshots_ hold.
  Result<std::int64_t> hooks_version();
  /// The hook's health (kept, or read); nothing when the hook is gone.
  Result<std::optional<EndpointHealth>> load_health(std::string_view hook_id);
  Result<void> store_health(std::string_view hook_id, const EndpointHealth& health);
  /// PRAGMA data_version: moves when another connection commits.
  Result<std::int64_t> data_version();
  /// A watcher's verdict on writes to the file: whether a connection other
  /// than this Storage's committed since `seen` (then updated), or is
  /// committing now. Takes mutex_ only if free (else: retry).
  WalWatcher::Verdict judge_writes(std::int64_t& seen);

  EnqueueBatch enqueues_;  ///< notifies from many threads share commits
  std::mutex mutex_;  ///< held by every transaction of this Storage
  HookSnapshots snapshots_;  ///< guarded by mutex_
  /// Completions since done_recent was last looked at (guarded by mutex_):
  /// it is counted every kDoneRecentCheckEvery, moved at kDoneRecentMove.
  std::size_t completions_since_move_ = 0;
  static constexpr std::size_t kDoneRecentCheckEvery = 512;
  static constexpr std::int64_t kDoneRecentMove = 2048;
  std::unique_ptr<SqliteConnection> connection_;
  const std::chrono::milliseconds busy_timeout_;
  // Declared last, so destroyed first: its thread uses mutex_ and the connection.
  std::unique_ptr<WalCheckpointer> checkpointer_;
};

}  // namespace runhooks::detail
