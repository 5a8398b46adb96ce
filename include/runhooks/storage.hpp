#pragma once
/// Pluggable storage: the hooks, the API keys and the delivery outbox.
///
/// `Storage` is the one seam between runhooks and a database, modelled on
/// leveldb's `Env`: an abstract, non-copyable interface; `open_storage` gives
/// the built-in backends; `StorageWrapper` (storage_wrapper.hpp) forwards every
/// call so a test can override just the one that should fail.
///
/// Contract for every backend:
/// - Thread-safe: any method may be called from any thread at any time.
/// - Atomic: a call that returns an error has changed nothing.
/// - Failures are values: `unavailable` when the database is busy or locked
///   past the busy timeout, `internal` for I/O errors and corruption,
///   `not_found`/`conflict` as each method says. Nothing throws.
/// - Timestamps round-trip exactly (millisecond precision).

#include <runhooks/api_key.hpp>
#include <runhooks/error.hpp>
#include <runhooks/export.hpp>
#include <runhooks/outbox.hpp>
#include <runhooks/webhook.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runhooks {

class RUNHOOKS_EXPORT Storage {
 public:
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  virtual ~Storage();

  // ---- hooks ---------------------------------------------------------------

  /// Stores a new hook unless its project already has `max_per_project`
  /// hooks (`conflict`, naming the limit) or the id is taken (`conflict`).
  /// The count and the insert are one transaction, so concurrent creators
  /// cannot overshoot the cap.
  virtual Result<void> insert_hook(const Webhook& hook, std::size_t max_per_project) = 0;

  /// The hook with this id, or `not_found`.
  virtual Result<Webhook> get_hook(std::string_view hook_id) = 0;

  /// Every hook of the project, oldest first (creation order); empty when none.
  virtual Result<std::vector<Webhook>> list_hooks(std::string_view project_id) = 0;

  /// The ids of the projects that have at least one hook, sorted.
  virtual Result<std::vector<std::string>> list_project_ids() = 0;

  /// Read-modify-write of one hook in one transaction: loads it, calls
  /// `change` on a copy, stores the copy and returns it. If `change` returns
  /// an error, that error is returned and nothing is written. `change` must
  /// not alter hook_id, project_id or created_at, and must not call back into
  /// this storage. `not_found` when there is no such hook.
  virtual Result<Webhook> modify_hook(
      std::string_view hook_id,
      const std::function<Result<void>(Webhook&)>& change) = 0;

  /// Deletes the hook with its deliveries and attempts; returns what it was.
  /// `not_found` when there is no such hook.
  virtual Result<Webhook> delete_hook(std::string_view hook_id) = 0;

  // ---- API keys --------------------------------------------------------------

  /// Stores a key; `conflict` when its id or hash is already stored.
  virtual Result<void> insert_api_key(const ApiKey& key) = 0;

  /// The key whose SHA-256 is `key_hash`, or `not_found`.
  virtual Result<ApiKey> find_api_key(std::string_view key_hash) = 0;

  /// Every key, oldest first.
  virtual Result<std::vector<ApiKey>> list_api_keys() = 0;

  /// Deletes the key; `not_found` when there is no such key.
  virtual Result<void> delete_api_key(std::string_view key_id) = 0;

  // ---- the delivery outbox (see outbox.hpp) ----------------------------------

  /// Stores `event` and, in the same transaction, one pending delivery due at
  /// `event.created_at` for every enabled hook of `event.project_id` that
  /// accepts `event.type`. With a non-empty idempotency key already stored
  /// for that project, stores nothing and returns the first call's ids with
  /// `duplicate` set.
  virtual Result<EnqueueResult> enqueue(const OutboxEvent& event) = 0;

  /// Stores `event` and, in the same transaction, one pending delivery of it
  /// to the hook `hook_id`, whatever the hook's events and state, due at
  /// `event.created_at`, its first attempt recorded with `trigger`. A
  /// delivery whose trigger is `test` is claimed before any other due
  /// delivery. `event.idempotency_key` and `ordering_key` must be empty.
  /// `not_found` when there is no such hook.
  virtual Result<EnqueueResult> enqueue_to_hook(const OutboxEvent& event, std::string_view hook_id,
                                                AttemptTrigger trigger) = 0;

  /// Leases up to `request.limit` due deliveries to `request.owner` until
  /// `request.now + request.lease`, earliest due first, at most
  /// `per_hook_limit` per hook and none of `skip_hooks`, each with its event
  /// and a snapshot of its hook. Several callers never get the same delivery
  /// while its lease runs.
  virtual Result<std::vector<ClaimedDelivery>> claim_due(const ClaimRequest& request) = 0;

  /// Records each attempt, stores its delivery's next state (releasing the
  /// lease) and applies its endpoint change to the hook as stored — all in
  /// one transaction, so a worker writes a batch of completions at the cost
  /// of one commit. An item whose lease `owner` no longer holds is
  /// `conflict`, one whose delivery is gone `not_found`; such items change
  /// nothing, the others still apply. The outer error means nothing was
  /// written. Returns one result per item, in order.
  virtual Result<std::vector<Result<CompletedAttempt>>> complete_attempts(
      std::string_view owner, const std::vector<AttemptResult>& results) = 0;

  /// `complete_attempts` for one attempt.
  Result<CompletedAttempt> complete_attempt(std::string_view owner, const AttemptResult& result);

  /// Gives back leases held by `owner` without an attempt (a worker stopping).
  virtual Result<void> release_leases(std::string_view owner,
                                      const std::vector<std::string>& delivery_ids) = 0;

  /// Makes a delivery pending again, due at `at`, whatever its status (a
  /// manual redelivery); the next attempt is recorded with `trigger`.
  virtual Result<Delivery> reschedule_delivery(std::string_view delivery_id,
                                               Timestamp at,
                                               AttemptTrigger trigger) = 0;

  /// The delivery, or `not_found`.
  virtual Result<Delivery> get_delivery(std::string_view delivery_id) = 0;

  /// Deliveries matching `filter`, newest first. Listing one hook's latest
  /// deliveries stays fast however many the outbox holds.
  virtual Result<std::vector<Delivery>> list_deliveries(const DeliveryFilter& filter) = 0;

  /// How many deliveries are pending (leased ones included).
  virtual Result<std::uint64_t> count_pending() = 0;

  /// The event, or `not_found`.
  virtual Result<OutboxEvent> get_event(std::string_view event_id) = 0;

  /// Attempts matching `filter`, newest first.
  virtual Result<std::vector<Attempt>> list_attempts(const AttemptFilter& filter) = 0;

  /// Deletes attempts started before `before`; returns how many.
  virtual Result<std::size_t> purge_attempts(Timestamp before) = 0;

  /// Deletes up to `limit` events that are done with, with their deliveries
  /// and attempts (and so forgets their idempotency keys): events made
  /// before `before` whose deliveries all finished (succeeded or failed)
  /// before it, or that no hook received (none matched, or their hooks were
  /// deleted). An event with a pending delivery is kept. Returns how many it
  /// deleted: `limit` means there may be more (fewer does not promise none:
  /// another worker may be purging some).
  virtual Result<std::size_t> purge_events(Timestamp before, std::size_t limit) = 0;

  /// The earliest `next_attempt_at` of the pending deliveries that the
  /// ordering rule lets go (leased ones included), or nothing when none is
  /// pending: when there may next be work.
  virtual Result<std::optional<Timestamp>> next_due_at() = 0;

  /// Asks to be told when another process enqueues, so an idle worker need
  /// not wait for its next poll: `wake` is then called, from any thread, and
  /// must be cheap. The subscription lasts as long as the returned handle.
  /// Backends that cannot tell return null (the default): workers poll.
  virtual std::shared_ptr<void> subscribe_enqueues(std::function<void()> wake) {
    (void)wake;
    return nullptr;
  }
};

/// Tuning of the built-in backends.
/// SQLite: how far a commit goes before it returns (PRAGMA synchronous).
enum class SqliteSync {
  /// The commit is in the operating system's hands: it survives the process
  /// being killed at any moment (kill -9), not a power loss or a kernel
  /// crash, which may lose the last commits (never corrupt the file).
  normal,
  /// The commit is on the disk (an fsync of the WAL per commit): it survives
  /// a power loss too. Costs a disk flush per write transaction.
  full,
};

struct StorageOptions {
  /// How long a write waits for another process's lock before `unavailable`
  /// (SQLite), or a statement may run (PostgreSQL statement_timeout).
  std::chrono::milliseconds busy_timeout{std::chrono::seconds(5)};
  /// PostgreSQL: the schema runhooks' tables live in (created if missing).
  std::string schema = "runhooks";
  /// PostgreSQL: connections in the pool.
  std::size_t pool_size = 4;
  /// SQLite: WAL frames (pages) past which, under a steady stream of writes
  /// that a background checkpoint never catches up with, this process's
  /// writers pause (milliseconds: the last frames and two fsyncs) so the WAL
  /// can start over. About 64 MiB of 4 KiB pages. At four times this, other
  /// processes' writers are held back too, for at most 20 ms at a time.
  int wal_catch_up_frames = 16384;
  /// SQLite: `normal` (the default) or `full`; `?synchronous=full` in a
  /// `sqlite:` URI sets it too. PostgreSQL's equivalent is the server's
  /// `synchronous_commit`, which runhooks' guarantees assume is `on`.
  SqliteSync sqlite_synchronous = SqliteSync::normal;
};

/// The store used when none is named.
inline constexpr std::string_view kDefaultStorageUri = "sqlite:runhooks.db";

/// Opens a backend from a URI:
/// - `sqlite:PATH` — a SQLite file (created on first use); parameters after
///   `?`, joined by `&`: `mode=ro` opens it read-only (`mode=rw`, the
///   default, read-write), `synchronous=full` makes every commit wait for
///   the disk (`synchronous=normal`, the default: see SqliteSync).
/// - `memory:` — an in-process store, gone when the last reference is.
/// - `postgresql://...` or `postgres://...` — any libpq connection URI (when
///   built with PostgreSQL); tables live in the schema `StorageOptions::schema`,
///   or the one named by a `runhooks_schema=NAME` parameter of the URI.
/// Returns `invalid_argument` for an unknown scheme, `internal` when the file
/// is not a database or was written by a newer runhooks, `unavailable` when
/// it stays locked. The storage is shared by everything built on it.
RUNHOOKS_EXPORT Result<std::shared_ptr<Storage>> open_storage(
    std::string_view uri, const StorageOptions& options = {});

}  // namespace runhooks
