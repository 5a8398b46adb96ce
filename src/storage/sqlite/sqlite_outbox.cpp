// SqliteStorage: the delivery outbox (see outbox.hpp for the semantics).

#include "storage/sqlite/sqlite_storage.hpp"

#include "core/random.hpp"
#include "storage/backend_rules.hpp"
#include "storage/record_codec.hpp"
#include "storage/row_readers.hpp"
#include "storage/sqlite/sqlite_schema.hpp"

#include <limits>

namespace runhooks::detail {

namespace {

using Kind = Transaction::Kind;

// A pending delivery of the same run and hook made before d: d waits for it.
// The keys find those in a small index; comparing the text too makes a rare
// hash collision harmless.
#define RUNHOOKS_EARLIER_IN_RUN                                                           \
  "SELECT 1 FROM deliveries p WHERE p.status = 0 AND p.run_key != 0"                      \
  " AND p.run_key = d.run_key AND p.hook_key = d.hook_key AND p.seq < d.seq"              \
  " AND p.hook_id = d.hook_id AND p.ordering_key = d.ordering_key"

// The schema's partial indexes name these values.
static_assert(static_cast<int>(DeliveryStatus::pending) == 0);
static_assert(static_cast<int>(AttemptTrigger::test) == 2);

Delivery read_delivery(const Statement& row) { return read_delivery_row(row); }

OutboxEvent read_event(const Statement& row, int first) { return read_event_row(row, first); }

Attempt read_attempt(const Statement& row) { return read_attempt_row(row); }

template <class T, class Reader>
Result<std::vector<T>> read_all(Statement& stmt, Reader read) {
  std::vector<T> rows;
  for (;;) {
    auto row = stmt.step();
    if (!row) return std::move(row).error();
    if (!*row) return rows;
    rows.push_back(read(stmt));
  }
}

// The delivery ids of an event, in creation order: its seq range (see the
// schema), checked against the event id in case rows were deleted.
Result<std::vector<std::string>> delivery_ids_of(SqliteConnection& db, std::string_view event_id) {
  auto stmt = db.prepare(
      "SELECT d.delivery_id FROM events e JOIN deliveries d"
      "  ON d.seq BETWEEN e.first_seq AND e.first_seq + e.delivery_count - 1"
      " WHERE e.event_id = ?1 AND d.event_id = ?1 ORDER BY d.seq");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, event_id);
  return read_all<std::string>(*stmt, [](const Statement& row) { return row.column_text(0); });
}

// Inserts one pending delivery of `event` per hook, in order, their first
// attempt recorded with `trigger`, then the event with their seq range.
// Returns the delivery ids.
Result<std::vector<std::string>> store_event(SqliteConnection& db, const OutboxEvent& event,
                                             const std::vector<std::string>& hook_ids, AttemptTrigger trigger) {
  auto insert_delivery = db.prepare(
      "INSERT INTO deliveries (delivery_id, event_id, hook_id, project_id, ordering_key, "
      "run_key, hook_key, status, attempt_count, next_attempt_at, created_at, last_error, "
      "next_trigger, lease_owner) VALUES (?1, ?2, ?3, ?4, ?5, ?7, ?8, 0, 0, ?6, ?6, '', ?9, '')");
  if (!insert_delivery) return std::move(insert_delivery).error();
  std::vector<std::string> ids;
  std::int64_t first_seq = 0;
  const std::int64_t run_key = text_key(event.ordering_key);
  for (const std::string& hook_id : hook_ids) {
    auto delivery_id = time_ordered_uuid(to_millis(event.created_at));
    if (!delivery_id) return std::move(delivery_id).error();
    insert_delivery->bind(1, *delivery_id).bind(2, event.event_id).bind(3, hook_id);
    insert_delivery->bind(4, event.project_id).bind(5, event.ordering_key);
    insert_delivery->bind(6, to_millis(event.created_at)).bind(7, run_key);
    insert_delivery->bind(8, text_key(hook_id));
    insert_delivery->bind(9, std::int64_t{static_cast<int>(trigger)});
    if (auto done = insert_delivery->run(); !done) return std::move(done).error();
    if (first_seq == 0) first_seq = sqlite3_last_insert_rowid(db.handle());
    ids.push_back(std::move(*delivery_id));
  }

  auto insert_event = db.prepare(
      "INSERT INTO events (event_id, project_id, event_type, payload, idempotency_key, "
      "ordering_key, created_at, first_seq, delivery_count) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!insert_event) return std::move(insert_event).error();
  insert_event->bind(1, event.event_id).bind(2, event.project_id).bind(3, to_string(event.type));
  insert_event->bind_blob(4, event.payload);
  if (event.idempotency_key.empty()) insert_event->bind_null(5);
  else insert_event->bind(5, event.idempotency_key);
  insert_event->bind(6, event.ordering_key).bind(7, to_millis(event.created_at));
  insert_event->bind(8, first_seq).bind(9, static_cast<std::int64_t>(ids.size()));
  if (auto done = insert_event->run(); !done) return std::move(done).error();
  return ids;
}

}  // namespace

Result<EnqueueResult> SqliteStorage::enqueue(const OutboxEvent& event) {
  return enqueues_.submit(event, [this](std::vector<EnqueueBatch::Entry*>& batch) { write_enqueues(batch); });
}

// Every queued event in one transaction, in order. An event refused before
// it wrote anything (an idempotency key or an event id already taken) is
// answered alone; a failure after a write, or of the commit, fails the whole
// batch, rolled back: none of its events was stored.
void SqliteStorage::write_enqueues(std::vector<EnqueueBatch::Entry*>& batch) noexcept {
  const auto fail_all = [&batch](const Error& error) {
    for (EnqueueBatch::Entry* entry : batch) entry->response = error;
  };
  try {
    std::lock_guard lock(mutex_);
    auto tx = Transaction::begin(*connection_, Kind::immediate);
    if (!tx) return fail_all(tx.error());
    for (EnqueueBatch::Entry* entry : batch) {
      bool wrote = false;
      auto result = enqueue_one(*entry->request, wrote);
      if (!result && wrote) return fail_all(result.error());  // tx rolls back
      entry->response = std::move(result);
    }
    if (auto committed = tx->commit(); !committed) return fail_all(committed.error());
  } catch (const std::exception& e) {
    fail_all(Error{ErrorCode::internal, {}, std::string("enqueue: ") + e.what()});
  } catch (...) {
    fail_all(Error{ErrorCode::internal, {}, "enqueue: unknown exception"});
  }
}

Result<EnqueueResult> SqliteStorage::enqueue_one(const OutboxEvent& event, bool& wrote) {
  if (!event.idempotency_key.empty()) {
    auto seen = connection_->prepare(
        "SELECT event_id, event_type, payload FROM events WHERE project_id = ?1 AND idempotency_key = ?2 "
        "AND idempotency_key IS NOT NULL");
    if (!seen) return std::move(seen).error();
    seen->bind(1, event.project_id).bind(2, event.idempotency_key);
    auto row = seen->step();
    if (!row) return std::move(row).error();
    if (*row) {
      if (auto same = check_same_event(event, seen->column_text(1), seen->column_text(2)); !same) {
        return std::move(same).error();
      }
      EnqueueResult result{seen->column_text(0), {}, true};
      auto ids = delivery_ids_of(*connection_, result.event_id);
      if (!ids) return std::move(ids).error();
      result.delivery_ids = std::move(*ids);
      return result;
    }
  }
  // Refused before anything is written, so the rest of a batch goes on.
  auto taken = connection_->prepare("SELECT 1 FROM events WHERE event_id = ?1");
  if (!taken) return std::move(taken).error();
  taken->bind(1, event.event_id);
  auto exists = taken->step();
  if (!exists) return std::move(exists).error();
  if (*exists) return event_exists();

  auto targets = connection_->prepare(
      "SELECT hook_id FROM hooks WHERE project_id = ?1 AND enabled = 1 "
      "AND (event_mask = 0 OR (event_mask & ?2) != 0) ORDER BY seq");
  if (!targets) return std::move(targets).error();
  targets->bind(1, event.project_id).bind(2, std::int64_t{event_bit(event.type)});
  auto hook_ids =
      read_all<std::string>(*targets, [](const Statement& row) { return row.column_text(0); });
  if (!hook_ids) return std::move(hook_ids).error();

  wrote = true;
  auto ids = store_event(*connection_, event, *hook_ids, AttemptTrigger::scheduled);
  if (!ids) return std::move(ids).error();
  return EnqueueResult{event.event_id, std::move(*ids), false};
}

Result<EnqueueResult> SqliteStorage::enqueue_to_hook(const OutboxEvent& event, std::string_view hook_id,
                                                     AttemptTrigger trigger) {
  if (auto checked = check_event_for_one_hook(event); !checked) return std::move(checked).error();
  std::lock_guard lock(mutex_);
  auto tx = Transaction::begin(*connection_, Kind::immediate);
  if (!tx) return std::move(tx).error();
  auto hook = connection_->prepare("SELECT 1 FROM hooks WHERE hook_id = ?1");
  if (!hook) return std::move(hook).error();
  hook->bind(1, hook_id);
  auto found = hook->step();
  if (!found) return std::move(found).error();
  if (!*found) return hook_not_found();
  auto ids = store_event(*connection_, event, {std::string(hook_id)}, trigger);
  if (!ids) return std::move(ids).error();
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return EnqueueResult{event.event_id, std::move(*ids), false};
}

// Due deliveries with their events, earliest due first, from `index`,
// `extra` narrowing them; ?1 now, ?2 how many, ?3 the hooks to skip.
#define RUNHOOKS_DUE(index, extra)                                                            \
  "SELECT " RUNHOOKS_DELIVERY_COLUMNS ", " RUNHOOKS_EVENT_COLUMNS ", d.seq"                     \
  " FROM deliveries d " index " JOIN events e ON e.event_id = d.event_id"                     \
  " WHERE d.status = 0 " extra " AND d.next_attempt_at <= ?1"                                 \
  "   AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= ?1)"                           \
  "   AND d.hook_id NOT IN (SELECT value FROM json_each(?3))"                                 \
  "   AND (d.run_key = 0 OR NOT EXISTS (" RUNHOOKS_EARLIER_IN_RUN "))"                        \
  " ORDER BY d.next_attempt_at, d.seq LIMIT ?2"

Result<std::vector<ClaimedDelivery>> SqliteStorage::claim_due(const ClaimRequest& request) {
  std::lock_guard lock(mutex_);
  auto tx = Transaction::begin(*connection_, Kind::immediate);
  if (!tx) return std::move(tx).error();
  // Test sends first, from their own small index (empty but for a moment
  // after a send_test), then the due ones: each query reads at most the
  // claim's scan size, and the second passes over what the first took.
  const std::string skip_hooks = json_string_array(request.skip_hooks);
  PerHookQuota quota(request.per_hook_limit);
  std::vector<ClaimedDelivery> claimed;
  std::vector<std::int64_t> seqs;
  // With only_delivery_ids, one pass among those (found by their ids).
  const bool only = !request.only_delivery_ids.empty();
  for (const bool tests : {true, false}) {
    if (only && !tests) break;
    auto due = only    ? connection_->prepare(RUNHOOKS_DUE("", "AND d.delivery_id IN (SELECT value FROM json_each(?4))"))
               : tests ? connection_->prepare(RUNHOOKS_DUE("INDEXED BY deliveries_tests", "AND d.next_trigger = 2"))
                       : connection_->prepare(RUNHOOKS_DUE("", ""));
    if (!due) return std::move(due).error();
    due->bind(1, to_millis(request.now)).bind(2, static_cast<std::int64_t>(claim_scan_size(request)));
    due->bind(3, skip_hooks);
    if (only) due->bind(4, json_string_array(request.only_delivery_ids));
    while (claimed.size() < request.limit) {
      auto row = due->step();
      if (!row) return std::move(row).error();
      if (!*row) break;
      // Column 11 is next_trigger: a test was the first query's to take.
      if (!only && !tests && due->column_int(11) == static_cast<int>(AttemptTrigger::test)) continue;
      if (!quota.take(due->column_text(2))) continue;
      claimed.push_back(ClaimedDelivery{read_delivery(*due), read_event(*due, kDeliveryColumnCount), nullptr});
      seqs.push_back(due->column_int(kDeliveryColumnCount + kEventColumnCount));
    }
  }

  const Timestamp expires = request.now + request.lease;
  auto lease = connection_->prepare(
      "UPDATE deliveries SET lease_owner = ?2, lease_expires_at = ?3 WHERE seq = ?1");
  if (!lease) return std::move(lease).error();
  for (std::size_t i = 0; i < claimed.size(); ++i) {
    ClaimedDelivery& c = claimed[i];
    lease->bind(1, seqs[i]).bind(2, request.owner).bind(3, to_millis(expires));
    if (auto done = lease->run(); !done) return std::move(done).error();
    c.delivery.lease_owner = request.owner;
    c.delivery.lease_expires_at = expires;
  }
  // Kept snapshots serve while no hook was written since. No delivery
  // outlives its hook here (enqueue reads the hooks in its own write
  // transaction), so there are no orphans to delete.
  auto version = hooks_version();
  if (!version) return std::move(version).error();
  snapshots_.validate(*version);
  auto attached = attach_endpoints(claimed, [&](const std::string& id) -> Result<std::shared_ptr<const EndpointSnapshot>> {
    if (auto kept = snapshots_.snapshot(id, request.now)) return kept;
    auto hook = load_hook(id);
    if (!hook) {
      if (hook.error().code == ErrorCode::not_found) return std::shared_ptr<const EndpointSnapshot>();
      return std::move(hook).error();
    }
    return snapshots_.keep(std::move(*hook), request.now);
  });
  if (!attached) return std::move(attached).error();
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return claimed;
}

Result<Delivery> SqliteStorage::load_delivery(std::string_view delivery_id, std::int64_t* seq) {
  auto stmt = connection_->prepare(
      "SELECT " RUNHOOKS_DELIVERY_COLUMNS ", d.seq FROM deliveries d WHERE d.delivery_id = ?1");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, delivery_id);
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  if (!*row) return delivery_not_found();
  if (seq != nullptr) *seq = stmt->column_int(kDeliveryColumnCount);
  return read_delivery(*stmt);
}

// By seq, read with the delivery in the same transaction: the row itself,
// without a second walk of the delivery_id index.
Result<void> SqliteStorage::store_delivery(const Delivery& d, std::int64_t seq) {
  auto stmt = connection_->prepare(
      "UPDATE deliveries SET status = ?2, attempt_count = ?3, next_attempt_at = ?4, "
      "completed_at = ?5, last_error = ?6, next_trigger = ?7, lease_owner = ?8, "
      "lease_expires_at = ?9 WHERE seq = ?1");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, seq).bind(2, std::int64_t{static_cast<int>(d.status)});
  stmt->bind(3, std::int64_t{d.attempt_count}).bind(4, to_millis(d.next_attempt_at));
  if (d.completed_at) stmt->bind(5, to_millis(*d.completed_at)); else stmt->bind_null(5);
  stmt->bind(6, d.last_error).bind(7, std::int64_t{static_cast<int>(d.next_trigger)});
  stmt->bind(8, d.lease_owner);
  if (d.lease_expires_at) stmt->bind(9, to_millis(*d.lease_expires_at)); else stmt->bind_null(9);
  return stmt->run();
}

Result<std::int64_t> SqliteStorage::hooks_version() {
  auto stmt = connection_->prepare("SELECT n FROM hooks_version WHERE id = 1");
  if (!stmt) return std::move(stmt).error();
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  if (!*row) return Error{ErrorCode::internal, {}, "hooks_version has no row"};
  return stmt->column_int(0);
}

Result<std::optional<EndpointHealth>> SqliteStorage::load_health(std::string_view hook_id) {
  if (const Webhook* kept = snapshots_.hook(std::string(hook_id))) {
    return std::optional<EndpointHealth>(health_of(*kept));
  }
  auto stmt =
      connection_->prepare("SELECT enabled, disabled_reason, failing_since, disabled_at FROM hooks WHERE hook_id = ?1");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, hook_id);
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<EndpointHealth>();
  EndpointHealth health;
  health.enabled = stmt->column_int(0) != 0;
  health.disabled_reason = stmt->column_text(1);
  if (!stmt->column_is_null(2)) health.failing_since = from_millis(stmt->column_int(2));
  if (!stmt->column_is_null(3)) health.disabled_at = from_millis(stmt->column_int(3));
  return std::optional<EndpointHealth>(std::move(health));
}

Result<void> SqliteStorage::store_health(std::string_view hook_id, const EndpointHealth& health) {
  auto stmt = connection_->prepare(
      "UPDATE hooks SET enabled = ?2, disabled_reason = ?3, failing_since = ?4, disabled_at = ?5,"
      " updated_at = CASE WHEN enabled != ?2 THEN ?6 ELSE updated_at END WHERE hook_id = ?1");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, hook_id).bind(2, std::int64_t{health.enabled}).bind(3, health.disabled_reason);
  if (health.failing_since) stmt->bind(4, to_millis(*health.failing_since)); else stmt->bind_null(4);
  if (health.disabled_at) stmt->bind(5, to_millis(*health.disabled_at)); else stmt->bind_null(5);
  // The state changed (a disable): dated like the disable.
  stmt->bind(6, health.disabled_at ? to_millis(*health.disabled_at) : std::int64_t{0});
  return stmt->run();
}

Result<void> SqliteStorage::insert_attempt(const Attempt& a) {
  auto stmt = connection_->prepare(
      "INSERT INTO attempts (" RUNHOOKS_ATTEMPT_COLUMNS
      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, a.attempt_id).bind(2, a.delivery_id).bind(3, a.hook_id);
  stmt->bind(4, to_millis(a.started_at)).bind(5, std::int64_t{a.duration.count()});
  stmt->bind(6, std::int64_t{a.status_code});
  stmt->bind(7, std::int64_t{static_cast<int>(a.error_class)}).bind(8, a.error_message);
  stmt->bind(9, std::int64_t{static_cast<int>(a.trigger)}).bind_blob(10, a.response_body);
  stmt->bind(11, a.request_url).bind_blob(12, encode_headers(a.request_headers));
  stmt->bind_blob(13, encode_headers(a.response_headers)).bind(14, std::int64_t{a.response_truncated});
  return stmt->run();
}

Result<std::vector<Result<CompletedAttempt>>> SqliteStorage::complete_attempts(
    std::string_view owner, const std::vector<AttemptResult>& results) {
  std::lock_guard lock(mutex_);
  auto tx = Transaction::begin(*connection_, Kind::immediate);
  if (!tx) return std::move(tx).error();
  std::vector<Result<CompletedAttempt>> outcomes;
  outcomes.reserve(results.size());
  HealthChanges health;
  auto version = hooks_version();
  if (!version) return std::move(version).error();
  snapshots_.validate(*version);  // what is kept is the hooks as stored now
  for (const AttemptResult& r : results) {
    std::int64_t seq = 0;
    auto delivery = load_delivery(r.attempt.delivery_id, &seq);
    if (!delivery) {
      if (delivery.error().code != ErrorCode::not_found) return std::move(delivery).error();
      outcomes.emplace_back(std::move(delivery).error());
      continue;
    }
    if (delivery->lease_owner != owner) {
      outcomes.emplace_back(lease_lost());
      continue;
    }
    if (auto stored = insert_attempt(r.attempt); !stored) return std::move(stored).error();
    apply_completion(*delivery, r.next);
    if (auto stored = store_delivery(*delivery, seq); !stored) return std::move(stored).error();
    CompletedAttempt completed{std::move(*delivery), false, {}};
    auto disabled = health.apply(r.attempt.hook_id, r.endpoint, completed.disabled_reason,
                                 [&](const std::string& id) { return load_health(id); });
    if (!disabled) return std::move(disabled).error();
    completed.endpoint_disabled = *disabled;
    outcomes.emplace_back(std::move(completed));
  }
  for (const auto& [hook_id, state] : health.changed()) {
    if (auto stored = store_health(hook_id, state); !stored) return std::move(stored).error();
    snapshots_.clear();
  }
  completions_since_move_ += results.size();
  if (completions_since_move_ >= kDoneRecentCheckEvery) {
    completions_since_move_ = 0;
    if (auto moved = move_done_into_index(); !moved) return std::move(moved).error();
  }
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return outcomes;
}

// Schema 7: once done_recent holds a few thousand finished deliveries (of
// any process), they go into the index by hook in one statement, in seq
// order, each index page written once for all of its hook's.
Result<void> SqliteStorage::move_done_into_index() {
  auto count = connection_->prepare("SELECT count(*) FROM done_recent");
  if (!count) return std::move(count).error();
  auto row = count->step();
  if (!row) return std::move(row).error();
  if (!*row || count->column_int(0) < kDoneRecentMove) return {};
  return connection_->exec(
      "UPDATE deliveries SET listed = 1 WHERE seq IN (SELECT seq FROM done_recent); DELETE FROM done_recent;");
}

Result<void> SqliteStorage::release_leases(std::string_view owner,
                                           const std::vector<std::string>& delivery_ids) {
  std::lock_guard lock(mutex_);
  auto tx = Transaction::begin(*connection_, Kind::immediate);
  if (!tx) return std::move(tx).error();
  auto stmt = connection_->prepare(
      "UPDATE deliveries SET lease_owner = '', lease_expires_at = NULL "
      "WHERE delivery_id = ?1 AND lease_owner = ?2");
  if (!stmt) return std::move(stmt).error();
  for (const std::string& id : delivery_ids) {
    stmt->bind(1, id).bind(2, owner);
    if (auto done = stmt->run(); !done) return done;
  }
  return tx->commit();
}

Result<Delivery> SqliteStorage::reschedule_delivery(std::string_view delivery_id, Timestamp at,
                                                    AttemptTrigger trigger) {
  std::lock_guard lock(mutex_);
  auto tx = Transaction::begin(*connection_, Kind::immediate);
  if (!tx) return std::move(tx).error();
  std::int64_t seq = 0;
  auto delivery = load_delivery(delivery_id, &seq);
  if (!delivery) return delivery;
  apply_reschedule(*delivery, at, trigger);
  if (auto stored = store_delivery(*delivery, seq); !stored) return std::move(stored).error();
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return delivery;
}

Result<Delivery> SqliteStorage::get_delivery(std::string_view delivery_id) {
  std::lock_guard lock(mutex_);
  return load_delivery(delivery_id);
}

// Every listing binds the same parameters: ?1 project, ?2 hook, ?3 event,
// ?4 status (-1: any), ?5 completed since (NULL: any), ?6 the seq the page
// starts below, ?7 the limit; a hook's listing also ?8, its key (SQLite
// refuses a parameter beyond a statement's last: others bind none past ?7).
void SqliteStorage::bind_listing(Statement& stmt, const DeliveryFilter& filter, std::int64_t before) {
  stmt.bind(1, filter.project_id).bind(2, filter.hook_id).bind(3, filter.event_id);
  stmt.bind(4, filter.status ? std::int64_t{static_cast<int>(*filter.status)} : std::int64_t{-1});
  if (filter.completed_since) stmt.bind(5, to_millis(*filter.completed_since)); else stmt.bind_null(5);
  stmt.bind(6, before).bind(7, static_cast<std::int64_t>(filter.limit));
}

Result<std::vector<Delivery>> SqliteStorage::list_deliveries(const DeliveryFilter& filter) {
  std::lock_guard lock(mutex_);
  // One snapshot for the cursor and every query of the page.
  auto tx = Transaction::begin(*connection_, Kind::deferred);
  if (!tx) return std::move(tx).error();
  std::int64_t before = std::numeric_limits<std::int64_t>::max();
  if (!filter.after_delivery_id.empty()) {
    auto after = load_delivery(filter.after_delivery_id, &before);
    if (!after) return std::move(after).error();
  }
  auto listed = !filter.event_id.empty() || filter.hook_id.empty() ? list_by_seq(filter, before)
                                                                  : list_hook_deliveries(filter, before);
  if (!listed) return listed;
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return listed;
}

// Without a hook: walk seq backwards, stopping at the limit. With an event:
// its seq range.
Result<std::vector<Delivery>> SqliteStorage::list_by_seq(const DeliveryFilter& filter, std::int64_t before) {
  auto stmt = connection_->prepare(
      filter.event_id.empty()
          ? "SELECT " RUNHOOKS_DELIVERY_COLUMNS " FROM deliveries d"
            " WHERE d.seq < ?6 AND (?1 = '' OR d.project_id = ?1) AND (?2 = '' OR d.hook_id = ?2)"
            "   AND (?4 < 0 OR d.status = ?4) AND (?5 IS NULL OR d.completed_at >= ?5) AND ?3 = ''"
            " ORDER BY d.seq DESC LIMIT ?7"
          : "SELECT " RUNHOOKS_DELIVERY_COLUMNS " FROM events e JOIN deliveries d"
            "   ON d.seq BETWEEN e.first_seq AND e.first_seq + e.delivery_count - 1"
            " WHERE e.event_id = ?3 AND d.event_id = ?3 AND d.seq < ?6"
            "   AND (?1 = '' OR d.project_id = ?1) AND (?2 = '' OR d.hook_id = ?2)"
            "   AND (?4 < 0 OR d.status = ?4) AND (?5 IS NULL OR d.completed_at >= ?5)"
            " ORDER BY d.seq DESC LIMIT ?7");
  if (!stmt) return std::move(stmt).error();
  bind_listing(*stmt, filter, before);
  return read_all<Delivery>(*stmt, read_delivery);
}

// One hook's deliveries, newest first, without an index by hook on
// notify's path (see schema 6): the seqs of its pending ones come from the
// due index, which carries the hook key (a scan of the pending set's index
// alone), those of its succeeded and failed ones from their index by hook
// key (a range each) and from done_recent, where they wait to be moved into
// that index (schema 7: a table scan of a few thousand small rows); the
// newest `limit` of those are read. Every filter but the project is answered by the indexes; a
// hook's deliveries are all of its project, so that one is exact on the
// rows too. The hook id is compared as well: a key shared by two hooks
// (64 bits: never seen) could shorten a page, never add to it.
#define RUNHOOKS_HOOK_STATUS(status)                                                             \
  "SELECT * FROM (SELECT f.seq FROM deliveries f INDEXED BY deliveries_done_by_hook"              \
  " WHERE f.status != 0 AND f.listed = 1 AND f.hook_key = ?8 AND f.status = " status                \
  " AND (?4 < 0 OR ?4 = " status ") AND f.seq < ?6 AND (?5 IS NULL OR f.completed_at >= ?5)"         \
  " ORDER BY f.seq DESC LIMIT ?7)"

Result<std::vector<Delivery>> SqliteStorage::list_hook_deliveries(const DeliveryFilter& filter, std::int64_t before) {
  auto stmt = connection_->prepare(
      "SELECT " RUNHOOKS_DELIVERY_COLUMNS " FROM deliveries d WHERE d.seq IN (SELECT seq FROM ("
      "   SELECT * FROM (SELECT p.seq FROM deliveries p INDEXED BY deliveries_due"
      "    WHERE p.status = 0 AND p.hook_key = ?8 AND (?4 < 0 OR ?4 = 0) AND ?5 IS NULL AND p.seq < ?6"
      "    ORDER BY p.seq DESC LIMIT ?7)"
      "   UNION ALL " RUNHOOKS_HOOK_STATUS("1") " UNION ALL " RUNHOOKS_HOOK_STATUS("2")
      // Finished and not yet moved into the index (a few thousand at most).
      "   UNION ALL SELECT * FROM (SELECT r.seq FROM done_recent r WHERE r.hook_key = ?8"
      "    AND (?4 < 0 OR r.status = ?4) AND r.seq < ?6 AND (?5 IS NULL OR r.completed_at >= ?5)"
      "    ORDER BY r.seq DESC LIMIT ?7)"
      " ) ORDER BY seq DESC LIMIT ?7)"
      " AND d.hook_id = ?2 AND (?1 = '' OR d.project_id = ?1) ORDER BY d.seq DESC");
  if (!stmt) return std::move(stmt).error();
  bind_listing(*stmt, filter, before);
  stmt->bind(8, text_key(filter.hook_id));
  return read_all<Delivery>(*stmt, read_delivery);
}

Result<std::uint64_t> SqliteStorage::count_pending() {
  std::lock_guard lock(mutex_);
  auto stmt = connection_->prepare("SELECT count(*) FROM deliveries INDEXED BY deliveries_due WHERE status = 0");
  if (!stmt) return std::move(stmt).error();
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  return static_cast<std::uint64_t>(stmt->column_int(0));
}

Result<OutboxEvent> SqliteStorage::get_event(std::string_view event_id) {
  std::lock_guard lock(mutex_);
  auto stmt = connection_->prepare(
      "SELECT " RUNHOOKS_EVENT_COLUMNS " FROM events e WHERE e.event_id = ?1");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, event_id);
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  if (!*row) return event_not_found();
  return read_event(*stmt, 0);
}

Result<std::vector<Attempt>> SqliteStorage::list_attempts(const AttemptFilter& filter) {
  std::lock_guard lock(mutex_);
  auto stmt = connection_->prepare(
      "SELECT " RUNHOOKS_ATTEMPT_COLUMNS " FROM attempts"
      " WHERE (?1 = '' OR delivery_id = ?1) AND (?2 = '' OR hook_id = ?2)"
      " ORDER BY seq DESC LIMIT ?3");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, filter.delivery_id).bind(2, filter.hook_id);
  stmt->bind(3, static_cast<std::int64_t>(filter.limit));
  return read_all<Attempt>(*stmt, read_attempt);
}

Result<std::size_t> SqliteStorage::purge_attempts(Timestamp before) {
  std::lock_guard lock(mutex_);
  auto stmt = connection_->prepare("DELETE FROM attempts WHERE started_at < ?1");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, to_millis(before));
  if (auto done = stmt->run(); !done) return std::move(done).error();
  return static_cast<std::size_t>(connection_->changes());
}

// The oldest events come first in seq order (deliveries are numbered as
// they are stored), so a walk from the start of the deliveries finds the
// finished ones and stops once it is among events made after `before`: no
// index is written on notify for the sake of this hourly call. It stops
// after a run of such events, not the first one, so an event stamped far
// ahead (a skewed clock) does not hold back the purge of those after it.
// Events no hook received have no deliveries to walk: a small index finds
// those.
Result<std::size_t> SqliteStorage::purge_events(Timestamp before, std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto tx = Transaction::begin(*connection_, Kind::immediate);
  if (!tx) return std::move(tx).error();
  const std::int64_t cutoff = to_millis(before);
  std::vector<std::string> done;
  {
    auto walk = connection_->prepare(
        "SELECT event_id, status = 0 OR completed_at IS NULL OR completed_at >= ?1, created_at >= ?1"
        " FROM deliveries ORDER BY seq");
    if (!walk) return std::move(walk).error();
    walk->bind(1, cutoff);
    constexpr int kRecentRun = 100;
    std::string event;
    bool event_done = false, event_recent = false;
    int recent_run = 0;
    while (done.size() < limit && recent_run < kRecentRun) {
      auto row = walk->step();
      if (!row) return std::move(row).error();
      if (!*row || walk->column_text(0) != event) {
        if (!event.empty()) {
          if (event_done) done.push_back(event);
          recent_run = event_recent ? recent_run + 1 : 0;
        }
        if (!*row) break;
        event = walk->column_text(0);
        event_done = true;
        event_recent = false;
      }
      if (walk->column_int(1) != 0) event_done = false;  // pending, or finished since
      if (walk->column_int(2) != 0) {  // made after `before`
        event_done = false;
        event_recent = true;
      }
    }
  }
  if (done.size() < limit) {
    auto undelivered = connection_->prepare(
        "SELECT event_id FROM events WHERE delivery_count = 0 AND created_at < ?1 LIMIT ?2");
    if (!undelivered) return std::move(undelivered).error();
    undelivered->bind(1, cutoff).bind(2, static_cast<std::int64_t>(limit - done.size()));
    auto ids = read_all<std::string>(*undelivered, [](const Statement& row) { return row.column_text(0); });
    if (!ids) return std::move(ids).error();
    done.insert(done.end(), ids->begin(), ids->end());
  }
  // The attempts go by cascade.
  auto deliveries = connection_->prepare(
      "DELETE FROM deliveries WHERE seq BETWEEN (SELECT first_seq FROM events WHERE event_id = ?1)"
      " AND (SELECT first_seq + delivery_count - 1 FROM events WHERE event_id = ?1) AND event_id = ?1");
  if (!deliveries) return std::move(deliveries).error();
  for (const std::string& id : done) {
    deliveries->bind(1, id);
    if (auto deleted = deliveries->run(); !deleted) return std::move(deleted).error();
  }
  auto events = connection_->prepare("DELETE FROM events WHERE event_id = ?1");
  if (!events) return std::move(events).error();
  for (const std::string& id : done) {
    events->bind(1, id);
    if (auto deleted = events->run(); !deleted) return std::move(deleted).error();
  }
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return done.size();
}

Result<std::optional<Timestamp>> SqliteStorage::next_due_at() {
  std::lock_guard lock(mutex_);
  auto stmt = connection_->prepare(
      "SELECT d.next_attempt_at FROM deliveries d WHERE d.status = 0"
      "   AND (d.run_key = 0 OR NOT EXISTS (" RUNHOOKS_EARLIER_IN_RUN "))"
      " ORDER BY d.next_attempt_at LIMIT 1");
  if (!stmt) return std::move(stmt).error();
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<Timestamp>();
  return std::optional<Timestamp>(from_millis(stmt->column_int(0)));
}

}  // namespace runhooks::detail
