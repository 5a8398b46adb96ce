// PostgresStorage: hooks, API keys and the outbox on PostgreSQL.

#include "storage/postgres/pg_storage.hpp"

#include "core/encoding.hpp"
#include "core/random.hpp"
#include "storage/backend_rules.hpp"
#include "storage/postgres/pg_schema.hpp"
#include "storage/record_codec.hpp"
#include "storage/row_readers.hpp"

#include <poll.h>

#include <limits>
#include <unordered_map>

namespace runhooks::detail {

namespace {

using Params = std::vector<PgParam>;

constexpr const char* kNotifyChannel = "runhooks_enqueued";

PgParam boolean(bool b) { return PgParam(b ? "true" : "false"); }
PgParam millis(Timestamp t) { return PgParam(to_millis(t)); }
PgParam optional_millis(const std::optional<Timestamp>& t) { return t ? millis(*t) : PgParam(); }
// One row of a result, with the Row interface of storage/row_readers.hpp.
struct PgRow {
  const PgResult& result;
  int row;
  std::string text(int c) const { return result.text(row, c); }
  std::optional<std::string> nullable_text(int c) const { return result.nullable_text(row, c); }
  std::int64_t integer(int c) const { return result.integer(row, c); }
  bool boolean(int c) const { return result.text(row, c) == "t"; }
  bool is_null(int c) const { return result.is_null(row, c); }
  std::string bytes(int c) const { return result.bytes(row, c); }
};

Webhook read_hook(const PgResult& r, int i) { return read_hook_row(PgRow{r, i}); }

Delivery read_delivery(const PgResult& r, int i) { return read_delivery_row(PgRow{r, i}); }

OutboxEvent read_event(const PgResult& r, int i, int first) {
  return read_event_row(PgRow{r, i}, first);
}

Attempt read_attempt(const PgResult& r, int i) { return read_attempt_row(PgRow{r, i}); }

ApiKey read_key(const PgResult& r, int i) { return read_api_key_row(PgRow{r, i}); }

template <class T, class Reader>
std::vector<T> read_rows(const PgResult& r, Reader read) {
  std::vector<T> rows;
  rows.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) rows.push_back(read(r, i));
  return rows;
}

Params hook_params(const Webhook& h) {
  return {h.hook_id,
          h.project_id,
          h.url,
          h.headers,
          h.label,
          encode_events(h.hook_events),
          PgParam(std::int64_t{event_mask(h.hook_events)}),
          h.secret,
          encode_retired_secrets(h.retired_secrets),
          boolean(h.enabled),
          h.disabled_reason,
          millis(h.created_at),
          millis(h.updated_at),
          optional_millis(h.failing_since),
          optional_millis(h.disabled_at)};
}

Result<Webhook> load_hook(PgConnection& c, std::string_view id, bool for_update) {
  auto r = c.exec(for_update ? "SELECT " RUNHOOKS_HOOK_COLUMNS " FROM hooks WHERE hook_id = $1 FOR UPDATE"
                             : "SELECT " RUNHOOKS_HOOK_COLUMNS " FROM hooks WHERE hook_id = $1",
                  {std::string(id)});
  if (!r) return std::move(r).error();
  if (r->rows() == 0) return hook_not_found();
  return read_hook(*r, 0);
}

Result<Delivery> load_delivery(PgConnection& c, std::string_view id, bool for_update) {
  auto r = c.exec(for_update ? "SELECT " RUNHOOKS_DELIVERY_COLUMNS " FROM deliveries d WHERE d.delivery_id = $1 FOR UPDATE"
                             : "SELECT " RUNHOOKS_DELIVERY_COLUMNS " FROM deliveries d WHERE d.delivery_id = $1",
                  {std::string(id)});
  if (!r) return std::move(r).error();
  if (r->rows() == 0) return delivery_not_found();
  return read_delivery(*r, 0);
}

Result<void> store_delivery(PgConnection& c, const Delivery& d) {
  auto r = c.exec(
      "UPDATE deliveries SET status = $2, attempt_count = $3, next_attempt_at = $4, completed_at = $5, "
      "last_error = $6, next_trigger = $7, lease_owner = $8, lease_expires_at = $9 WHERE delivery_id = $1",
      {d.delivery_id, PgParam(std::int64_t{static_cast<int>(d.status)}), PgParam(std::int64_t{d.attempt_count}),
       millis(d.next_attempt_at), optional_millis(d.completed_at), d.last_error,
       PgParam(std::int64_t{static_cast<int>(d.next_trigger)}), d.lease_owner, optional_millis(d.lease_expires_at)});
  if (!r) return std::move(r).error();
  return {};
}

// One pending delivery of `event` per hook, in hook order (seq follows
// ordinality), their first attempt recorded with `trigger`; then listeners
// are told, at commit, so idle workers elsewhere wake.
Result<void> insert_deliveries(PgConnection& c, const OutboxEvent& event, const std::vector<std::string>& ids,
                               const std::vector<std::string>& hook_ids, AttemptTrigger trigger) {
  if (ids.empty()) return {};
  auto fanned = c.exec(
      "INSERT INTO deliveries (delivery_id, event_id, hook_id, project_id, ordering_key, status, attempt_count, "
      "next_attempt_at, created_at, last_error, next_trigger, lease_owner) "
      "SELECT t.delivery_id, $3, t.hook_id, $4, $5, 0, 0, $6, $6, '', $7, '' "
      "FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(delivery_id, hook_id, n) ORDER BY t.n",
      {pg_text_array(ids), pg_text_array(hook_ids), event.event_id, event.project_id, event.ordering_key,
       millis(event.created_at), PgParam(std::int64_t{static_cast<int>(trigger)})});
  if (!fanned) return std::move(fanned).error();
  if (auto told = c.exec("SELECT pg_notify($1, '')", {kNotifyChannel}); !told) return std::move(told).error();
  return {};
}

Result<std::vector<std::string>> delivery_ids_of(PgConnection& c, const std::string& event_id) {
  auto r = c.exec("SELECT delivery_id FROM deliveries WHERE event_id = $1 ORDER BY seq", {event_id});
  if (!r) return std::move(r).error();
  return read_rows<std::string>(*r, [](const PgResult& row, int i) { return row.text(i, 0); });
}

}  // namespace

PostgresStorage::PostgresStorage(std::string conninfo, std::string schema, const StorageOptions& options)
    : conninfo_(std::move(conninfo)),
      schema_(std::move(schema)),
      pool_(conninfo_, schema_, options.busy_timeout * 2, std::max<std::size_t>(1, options.pool_size)) {}

Result<std::shared_ptr<Storage>> PostgresStorage::open(const std::string& conninfo, const std::string& schema,
                                                      const StorageOptions& options) {
  if (schema.empty() || schema.size() > 63) {
    return Error::invalid("schema", "the PostgreSQL schema name must be 1 to 63 characters");
  }
  std::shared_ptr<PostgresStorage> storage(new PostgresStorage(conninfo, schema, options));
  auto conn = storage->pool_.acquire();
  if (!conn) return std::move(conn).error();
  if (auto migrated = migrate_postgres_schema(**conn, schema); !migrated) return std::move(migrated).error();
  return std::shared_ptr<Storage>(std::move(storage));
}

PostgresStorage::~PostgresStorage() {
  stopping_ = true;
  if (listener_.joinable()) listener_.join();
}

// ---- hooks -----------------------------------------------------------------

Result<void> PostgresStorage::insert_hook(const Webhook& hook, std::size_t max_per_project) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto tx = PgTransaction::begin(**conn);
  if (!tx) return std::move(tx).error();
  // Serializes creators of one project (in every process) for the cap check.
  if (auto locked = (*conn)->exec("SELECT pg_advisory_xact_lock(hashtext($1))", {hook.project_id}); !locked) {
    return std::move(locked).error();
  }
  auto count = (*conn)->exec("SELECT COUNT(*) FROM hooks WHERE project_id = $1", {hook.project_id});
  if (!count) return std::move(count).error();
  if (static_cast<std::uint64_t>(count->integer(0, 0)) >= max_per_project) {
    return hook_cap_reached(max_per_project);
  }
  auto inserted = (*conn)->exec(
      "INSERT INTO hooks (hook_id, project_id, url, headers, label, hook_events, event_mask, secret, "
      "retired_secrets, enabled, disabled_reason, created_at, updated_at, failing_since, disabled_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
      hook_params(hook));
  if (!inserted) return std::move(inserted).error();
  return tx->commit();
}

Result<Webhook> PostgresStorage::get_hook(std::string_view hook_id) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  return load_hook(**conn, hook_id, false);
}

Result<std::vector<Webhook>> PostgresStorage::list_hooks(std::string_view project_id) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto r = (*conn)->exec("SELECT " RUNHOOKS_HOOK_COLUMNS " FROM hooks WHERE project_id = $1 ORDER BY seq",
                         {std::string(project_id)});
  if (!r) return std::move(r).error();
  return read_rows<Webhook>(*r, read_hook);
}

Result<std::vector<std::string>> PostgresStorage::list_project_ids() {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  // Byte order, as the other backends sort, whatever the database's collation.
  auto r = (*conn)->exec("SELECT DISTINCT project_id COLLATE \"C\" AS p FROM hooks ORDER BY p");
  if (!r) return std::move(r).error();
  return read_rows<std::string>(*r, [](const PgResult& row, int i) { return row.text(i, 0); });
}

Result<Webhook> PostgresStorage::modify_hook(std::string_view hook_id,
                                             const std::function<Result<void>(Webhook&)>& change) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto tx = PgTransaction::begin(**conn);
  if (!tx) return std::move(tx).error();
  auto hook = load_hook(**conn, hook_id, true);
  if (!hook) return hook;
  if (auto changed = change(*hook); !changed) return std::move(changed).error();
  auto stored = (*conn)->exec(
      "UPDATE hooks SET url = $3, headers = $4, label = $5, hook_events = $6, event_mask = $7, secret = $8, "
      "retired_secrets = $9, enabled = $10, disabled_reason = $11, updated_at = $13, failing_since = $14, "
      "disabled_at = $15 "
      "WHERE hook_id = $1 AND project_id = $2 AND created_at = $12",
      hook_params(*hook));
  if (!stored) return std::move(stored).error();
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return hook;
}

Result<Webhook> PostgresStorage::delete_hook(std::string_view hook_id) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto tx = PgTransaction::begin(**conn);
  if (!tx) return std::move(tx).error();
  auto hook = load_hook(**conn, hook_id, true);
  if (!hook) return hook;
  // Deliveries are locked in seq order, as completions and purges lock them:
  // a delete in the plan's order could deadlock with those.
  for (const char* sql : {"SELECT 1 FROM deliveries WHERE hook_id = $1 ORDER BY seq FOR UPDATE",
                          "DELETE FROM deliveries WHERE hook_id = $1", "DELETE FROM hooks WHERE hook_id = $1"}) {
    if (auto done = (*conn)->exec(sql, {std::string(hook_id)}); !done) return std::move(done).error();
  }
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return hook;
}

// ---- API keys ----------------------------------------------------------------

Result<void> PostgresStorage::insert_api_key(const ApiKey& key) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto r = (*conn)->exec("INSERT INTO api_keys (" RUNHOOKS_API_KEY_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
                         {key.key_id, key.key_hash, key.label, encode_projects(key.projects),
                          boolean(key.all_projects), boolean(key.read_only), millis(key.created_at)});
  if (!r) return std::move(r).error();
  return {};
}

Result<ApiKey> PostgresStorage::find_api_key(std::string_view key_hash) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto r = (*conn)->exec("SELECT " RUNHOOKS_API_KEY_COLUMNS " FROM api_keys WHERE key_hash = $1", {std::string(key_hash)});
  if (!r) return std::move(r).error();
  if (r->rows() == 0) return api_key_not_found();
  return read_key(*r, 0);
}

Result<std::vector<ApiKey>> PostgresStorage::list_api_keys() {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto r = (*conn)->exec("SELECT " RUNHOOKS_API_KEY_COLUMNS " FROM api_keys ORDER BY seq");
  if (!r) return std::move(r).error();
  return read_rows<ApiKey>(*r, read_key);
}

Result<void> PostgresStorage::delete_api_key(std::string_view key_id) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto r = (*conn)->exec("DELETE FROM api_keys WHERE key_id = $1", {std::string(key_id)});
  if (!r) return std::move(r).error();
  if (r->affected() == 0) return api_key_not_found();
  return {};
}

// ---- the outbox ----------------------------------------------------------------

Result<EnqueueResult> PostgresStorage::enqueue(const OutboxEvent& event) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto tx = PgTransaction::begin(**conn);
  if (!tx) return std::move(tx).error();
  // With a key, the unique index decides who was first, across processes.
  auto inserted = (*conn)->exec(
      "INSERT INTO events (event_id, project_id, event_type, payload, idempotency_key, ordering_key, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7) "
      "ON CONFLICT (project_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING event_id",
      {event.event_id, event.project_id, std::string(to_string(event.type)), event.payload,
       event.idempotency_key.empty() ? PgParam() : PgParam(event.idempotency_key), event.ordering_key,
       millis(event.created_at)});
  if (!inserted) return std::move(inserted).error();
  if (inserted->rows() == 0) {
    auto first = (*conn)->exec(
        "SELECT event_id, event_type, payload FROM events WHERE project_id = $1 AND idempotency_key = $2",
        {event.project_id, event.idempotency_key});
    if (!first) return std::move(first).error();
    if (first->rows() == 0) return Error{ErrorCode::unavailable, {}, "idempotency race, try again"};
    if (auto same = check_same_event(event, first->text(0, 1), first->text(0, 2)); !same) {
      return std::move(same).error();
    }
    EnqueueResult result{first->text(0, 0), {}, true};
    auto ids = delivery_ids_of(**conn, result.event_id);
    if (!ids) return std::move(ids).error();
    result.delivery_ids = std::move(*ids);
    return result;
  }
  auto targets = (*conn)->exec(
      "SELECT hook_id FROM hooks WHERE project_id = $1 AND enabled AND (event_mask = 0 OR (event_mask & $2) <> 0) "
      "ORDER BY seq",
      {event.project_id, PgParam(std::int64_t{event_bit(event.type)})});
  if (!targets) return std::move(targets).error();
  EnqueueResult result{event.event_id, {}, false};
  std::vector<std::string> hook_ids;
  for (int i = 0; i < targets->rows(); ++i) {
    auto id = time_ordered_uuid(to_millis(event.created_at));
    if (!id) return std::move(id).error();
    result.delivery_ids.push_back(std::move(*id));
    hook_ids.push_back(targets->text(i, 0));
  }
  auto inserted_deliveries = insert_deliveries(**conn, event, result.delivery_ids, hook_ids, AttemptTrigger::scheduled);
  if (!inserted_deliveries) return std::move(inserted_deliveries).error();
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return result;
}

Result<EnqueueResult> PostgresStorage::enqueue_to_hook(const OutboxEvent& event, std::string_view hook_id,
                                                       AttemptTrigger trigger) {
  if (auto checked = check_event_for_one_hook(event); !checked) return std::move(checked).error();
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto tx = PgTransaction::begin(**conn);
  if (!tx) return std::move(tx).error();
  // KEY SHARE: a delete_hook waits for this transaction (so leaves no
  // orphan), an update of the hook does not.
  auto hook = (*conn)->exec("SELECT 1 FROM hooks WHERE hook_id = $1 FOR KEY SHARE", {std::string(hook_id)});
  if (!hook) return std::move(hook).error();
  if (hook->rows() == 0) return hook_not_found();
  auto inserted = (*conn)->exec(
      "INSERT INTO events (event_id, project_id, event_type, payload, idempotency_key, ordering_key, created_at) "
      "VALUES ($1, $2, $3, $4, NULL, '', $5)",
      {event.event_id, event.project_id, std::string(to_string(event.type)), event.payload, millis(event.created_at)});
  if (!inserted) return std::move(inserted).error();
  auto id = time_ordered_uuid(to_millis(event.created_at));
  if (!id) return std::move(id).error();
  EnqueueResult result{event.event_id, {std::move(*id)}, false};
  auto stored = insert_deliveries(**conn, event, result.delivery_ids, {std::string(hook_id)}, trigger);
  if (!stored) return std::move(stored).error();
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return result;
}

// Due deliveries, `extra` narrowing them. SKIP LOCKED: rows another worker
// is claiming right now are passed over, so workers never wait on each
// other nor take the same delivery. The candidates come from the due index
// alone (or the tests' index), in its order, so the scan stops at the
// limit; their events are joined afterwards.
#define PG_DUE_CANDIDATES(extra)                                                                \
  "WITH c AS (SELECT d.seq FROM deliveries d"                                                   \
  "   WHERE d.status = 0 " extra " AND d.next_attempt_at <= $1"                                 \
  "     AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= $1)"                           \
  "     AND NOT (d.hook_id = ANY($3::text[]))"                                                  \
  "     AND (d.ordering_key = '' OR NOT EXISTS (SELECT 1 FROM deliveries p"                     \
  "          WHERE p.status = 0 AND p.ordering_key <> '' AND p.ordering_key = d.ordering_key"   \
  "            AND p.hook_id = d.hook_id AND p.seq < d.seq))"                                   \
  "   ORDER BY d.next_attempt_at, d.seq LIMIT $2"                                               \
  "   FOR UPDATE SKIP LOCKED)"                                                                  \
  " SELECT " RUNHOOKS_DELIVERY_COLUMNS ", " RUNHOOKS_EVENT_COLUMNS                               \
  " FROM c JOIN deliveries d ON d.seq = c.seq JOIN events e ON e.event_id = d.event_id"         \
  " ORDER BY d.next_attempt_at, d.seq"

Result<std::vector<ClaimedDelivery>> PostgresStorage::claim_due(const ClaimRequest& request) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto tx = PgTransaction::begin(**conn);
  if (!tx) return std::move(tx).error();
  const std::size_t scan = claim_scan_size(request);
  const Params params{millis(request.now), PgParam(static_cast<std::int64_t>(scan)), pg_text_array(request.skip_hooks)};
  PerHookQuota quota(request.per_hook_limit);
  std::vector<ClaimedDelivery> claimed;
  std::vector<std::string> ids;
  std::vector<std::string> hook_ids;
  // Test sends first, from their own small index (empty but for a moment
  // after a send_test), then the due ones; the second query passes over
  // the tests (locked by this transaction already, so not skipped).
  // With only_delivery_ids, one pass among those (found by their ids).
  const bool only = !request.only_delivery_ids.empty();
  for (const bool tests : {true, false}) {
    if (only && !tests) break;
    auto due = only ? (*conn)->exec(PG_DUE_CANDIDATES("AND d.delivery_id = ANY($4::text[])"),
                                    {params[0], params[1], params[2], pg_text_array(request.only_delivery_ids)})
                    : (*conn)->exec(tests ? PG_DUE_CANDIDATES("AND d.next_trigger = 2") : PG_DUE_CANDIDATES(""),
                                    params);
    if (!due) return std::move(due).error();
    for (int i = 0; i < due->rows() && claimed.size() < request.limit; ++i) {
      Delivery d = read_delivery(*due, i);
      if (!only && !tests && d.next_trigger == AttemptTrigger::test) continue;
      if (!quota.take(d.hook_id)) continue;
      ids.push_back(d.delivery_id);
      hook_ids.push_back(d.hook_id);
      claimed.push_back(ClaimedDelivery{std::move(d), read_event(*due, i, kDeliveryColumnCount), nullptr});
    }
  }
  const Timestamp expires = request.now + request.lease;
  if (!ids.empty()) {
    auto leased = (*conn)->exec(
        "UPDATE deliveries SET lease_owner = $2, lease_expires_at = $3 WHERE delivery_id = ANY($1::text[])",
        {pg_text_array(ids), request.owner, millis(expires)});
    if (!leased) return std::move(leased).error();
    // Their hooks, in one query.
    auto hooks = (*conn)->exec("SELECT " RUNHOOKS_HOOK_COLUMNS " FROM hooks WHERE hook_id = ANY($1::text[])",
                               {pg_text_array(hook_ids)});
    if (!hooks) return std::move(hooks).error();
    std::unordered_map<std::string, Webhook> by_id;
    for (int i = 0; i < hooks->rows(); ++i) {
      Webhook hook = read_hook(*hooks, i);
      by_id.emplace(hook.hook_id, std::move(hook));
    }
    auto orphans = attach_endpoints(claimed, [&](const std::string& id) -> Result<std::shared_ptr<const EndpointSnapshot>> {
      const auto found = by_id.find(id);
      if (found == by_id.end()) return std::shared_ptr<const EndpointSnapshot>();
      return endpoint_snapshot(found->second, request.now);
    });
    if (!orphans) return std::move(orphans).error();
    // A delete_hook that committed between an enqueue's read of the hooks and
    // its insert leaves deliveries without a hook: they go now, or they would
    // come first in every claim forever.
    if (!orphans->empty()) {
      auto deleted = (*conn)->exec("DELETE FROM deliveries WHERE delivery_id = ANY($1::text[])",
                                   {pg_text_array(*orphans)});
      if (!deleted) return std::move(deleted).error();
    }
  }
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  for (ClaimedDelivery& c : claimed) {
    c.delivery.lease_owner = request.owner;
    c.delivery.lease_expires_at = expires;
  }
  return claimed;
}

Result<std::vector<Result<CompletedAttempt>>> PostgresStorage::complete_attempts(
    std::string_view owner, const std::vector<AttemptResult>& results) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto tx = PgTransaction::begin(**conn);
  if (!tx) return std::move(tx).error();
  // Hook health: read the batch's hooks (unlocked), see which ones the
  // batch would change, and lock just those — before the deliveries, as
  // delete_hook locks a hook before its deliveries — reading them again
  // under the lock. A batch of successes to healthy hooks locks nothing.
  std::vector<std::string> hook_ids;
  for (const AttemptResult& r : results) {
    if (r.endpoint.kind != EndpointChange::Kind::none) hook_ids.push_back(r.attempt.hook_id);
  }
  std::unordered_map<std::string, EndpointHealth> seen;
  const auto read_health = [&](const char* sql, const std::vector<std::string>& ids) -> Result<void> {
    auto rows = (*conn)->exec(sql, {pg_text_array(ids)});
    if (!rows) return std::move(rows).error();
    for (int i = 0; i < rows->rows(); ++i) {
      EndpointHealth health{rows->text(i, 1) == "t", rows->text(i, 2), std::nullopt, std::nullopt};
      if (!rows->is_null(i, 3)) health.failing_since = from_millis(rows->integer(i, 3));
      if (!rows->is_null(i, 4)) health.disabled_at = from_millis(rows->integer(i, 4));
      seen[rows->text(i, 0)] = std::move(health);
    }
    return {};
  };
  const auto known_health = [&](const std::string& id) -> Result<std::optional<EndpointHealth>> {
    const auto found = seen.find(id);
    if (found == seen.end()) return std::optional<EndpointHealth>();
    return std::optional<EndpointHealth>(found->second);
  };
  if (!hook_ids.empty()) {
    if (auto read = read_health("SELECT hook_id, enabled, disabled_reason, failing_since, disabled_at FROM hooks"
                                " WHERE hook_id = ANY($1::text[])",
                                hook_ids);
        !read) {
      return std::move(read).error();
    }
    HealthChanges preview;
    std::string unused;
    for (const AttemptResult& r : results) (void)preview.apply(r.attempt.hook_id, r.endpoint, unused, known_health);
    std::vector<std::string> to_lock;
    for (const auto& [id, health] : preview.changed()) to_lock.push_back(id);
    if (!to_lock.empty()) {
      if (auto read = read_health("SELECT hook_id, enabled, disabled_reason, failing_since, disabled_at FROM hooks"
                                  " WHERE hook_id = ANY($1::text[]) ORDER BY hook_id FOR UPDATE",
                                  to_lock);
          !read) {
        return std::move(read).error();
      }
    }
  }
  // Then three statements for the whole batch: lock the deliveries, insert
  // the attempts, update the deliveries.
  std::vector<std::string> ids;
  for (const AttemptResult& r : results) ids.push_back(r.attempt.delivery_id);
  auto locked = (*conn)->exec("SELECT " RUNHOOKS_DELIVERY_COLUMNS " FROM deliveries d WHERE d.delivery_id = ANY($1::text[])"
                              " ORDER BY d.seq FOR UPDATE",
                              {pg_text_array(ids)});
  if (!locked) return std::move(locked).error();
  std::unordered_map<std::string, Delivery> current;
  for (int i = 0; i < locked->rows(); ++i) {
    Delivery d = read_delivery(*locked, i);
    current.emplace(d.delivery_id, std::move(d));
  }

  std::vector<Result<CompletedAttempt>> outcomes;
  HealthChanges health;
  std::vector<std::string> a_id, a_delivery, a_hook, a_started, a_duration, a_status, a_class, a_error, a_trigger, a_body,
      a_url, a_request_headers, a_response_headers, a_truncated;
  std::vector<std::optional<std::string>> d_id, d_status, d_count, d_next, d_completed, d_error;
  for (const AttemptResult& r : results) {
    const auto found = current.find(r.attempt.delivery_id);
    if (found == current.end()) {
      outcomes.emplace_back(delivery_not_found());
      continue;
    }
    Delivery& d = found->second;
    if (d.lease_owner != owner) {
      outcomes.emplace_back(lease_lost());
      continue;
    }
    const Attempt& a = r.attempt;
    a_id.push_back(a.attempt_id);
    a_delivery.push_back(a.delivery_id);
    a_hook.push_back(a.hook_id);
    a_started.push_back(std::to_string(to_millis(a.started_at)));
    a_duration.push_back(std::to_string(a.duration.count()));
    a_status.push_back(std::to_string(a.status_code));
    a_class.push_back(std::to_string(static_cast<int>(a.error_class)));
    a_error.push_back(a.error_message);
    a_trigger.push_back(std::to_string(static_cast<int>(a.trigger)));
    a_body.push_back("\\x" + hex_encode(a.response_body));  // bytea's hex input form
    a_url.push_back(a.request_url);
    a_request_headers.push_back("\\x" + hex_encode(encode_headers(a.request_headers)));
    a_response_headers.push_back("\\x" + hex_encode(encode_headers(a.response_headers)));
    a_truncated.push_back(a.response_truncated ? "true" : "false");
    apply_completion(d, r.next);
    d_id.push_back(d.delivery_id);
    d_status.push_back(std::to_string(static_cast<int>(d.status)));
    d_count.push_back(std::to_string(d.attempt_count));
    d_next.push_back(std::to_string(to_millis(d.next_attempt_at)));
    d_completed.push_back(d.completed_at ? std::optional<std::string>(std::to_string(to_millis(*d.completed_at)))
                                         : std::nullopt);
    d_error.push_back(d.last_error);
    CompletedAttempt completed{d, false, {}};
    // Changes only hooks locked above (a subset of the preview's changes).
    completed.endpoint_disabled = *health.apply(a.hook_id, r.endpoint, completed.disabled_reason, known_health);
    outcomes.emplace_back(std::move(completed));
  }
  if (!a_id.empty()) {
    auto inserted = (*conn)->exec(
        "INSERT INTO attempts (" RUNHOOKS_ATTEMPT_COLUMNS ") SELECT * FROM unnest($1::text[], $2::text[], $3::text[], "
        "$4::bigint[], $5::bigint[], $6::int[], $7::smallint[], $8::text[], $9::smallint[], $10::bytea[], "
        "$11::text[], $12::bytea[], $13::bytea[], $14::boolean[])",
        {pg_text_array(a_id), pg_text_array(a_delivery), pg_text_array(a_hook), pg_text_array(a_started),
         pg_text_array(a_duration), pg_text_array(a_status), pg_text_array(a_class), pg_text_array(a_error),
         pg_text_array(a_trigger), pg_text_array(a_body), pg_text_array(a_url), pg_text_array(a_request_headers),
         pg_text_array(a_response_headers), pg_text_array(a_truncated)});
    if (!inserted) return std::move(inserted).error();
    auto updated = (*conn)->exec(
        "UPDATE deliveries SET status = u.status, attempt_count = u.attempt_count, next_attempt_at = u.next_at, "
        "completed_at = u.completed_at, last_error = u.last_error, next_trigger = 0, lease_owner = '', "
        "lease_expires_at = NULL "
        "FROM unnest($1::text[], $2::smallint[], $3::int[], $4::bigint[], $5::bigint[], $6::text[]) "
        "AS u(delivery_id, status, attempt_count, next_at, completed_at, last_error) "
        "WHERE deliveries.delivery_id = u.delivery_id",
        {pg_nullable_array(d_id), pg_nullable_array(d_status), pg_nullable_array(d_count), pg_nullable_array(d_next),
         pg_nullable_array(d_completed), pg_nullable_array(d_error)});
    if (!updated) return std::move(updated).error();
  }
  for (const auto& [id, h] : health.changed()) {
    // A change of state (a disable) dates the hook like the disable.
    auto stored = (*conn)->exec(
        "UPDATE hooks SET enabled = $2, disabled_reason = $3, failing_since = $4, disabled_at = $5,"
        " updated_at = CASE WHEN enabled <> $2 AND $5::bigint IS NOT NULL THEN $5::bigint ELSE updated_at END"
        " WHERE hook_id = $1",
        {id, boolean(h.enabled), h.disabled_reason, optional_millis(h.failing_since), optional_millis(h.disabled_at)});
    if (!stored) return std::move(stored).error();
  }
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return outcomes;
}

Result<void> PostgresStorage::release_leases(std::string_view owner, const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto r = (*conn)->exec(
      "UPDATE deliveries SET lease_owner = '', lease_expires_at = NULL "
      "WHERE delivery_id = ANY($1::text[]) AND lease_owner = $2",
      {pg_text_array(ids), std::string(owner)});
  if (!r) return std::move(r).error();
  return {};
}

Result<Delivery> PostgresStorage::reschedule_delivery(std::string_view delivery_id, Timestamp at,
                                                      AttemptTrigger trigger) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto tx = PgTransaction::begin(**conn);
  if (!tx) return std::move(tx).error();
  auto delivery = load_delivery(**conn, delivery_id, true);
  if (!delivery) return delivery;
  apply_reschedule(*delivery, at, trigger);
  if (auto stored = store_delivery(**conn, *delivery); !stored) return std::move(stored).error();
  if (auto told = (*conn)->exec("SELECT pg_notify($1, '')", {kNotifyChannel}); !told) return std::move(told).error();
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return delivery;
}

Result<Delivery> PostgresStorage::get_delivery(std::string_view delivery_id) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  return load_delivery(**conn, delivery_id, false);
}

// A page of deliveries; every query binds $1 project, $2 hook, $3 event,
// $4 status (-1: any), $5 completed since (NULL: any), $6 the seq the page
// starts below, $7 the limit.
#define PG_LISTED                                                                                  \
  " AND d.seq < $6 AND ($1 = '' OR d.project_id = $1) AND ($3 = '' OR d.event_id = $3)"            \
  " AND ($5::bigint IS NULL OR d.completed_at >= $5::bigint)"
// One hook's, of one status: a range of deliveries_by_hook, newest first.
#define PG_HOOK_STATUS(status)                                                                     \
  "(SELECT d.* FROM deliveries d WHERE d.hook_id = $2 AND d.status = " status PG_LISTED          \
  " AND ($4::int < 0 OR $4::int = " status ") ORDER BY d.seq DESC LIMIT $7)"

Result<std::vector<Delivery>> PostgresStorage::list_deliveries(const DeliveryFilter& filter) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  std::int64_t before = std::numeric_limits<std::int64_t>::max();
  if (!filter.after_delivery_id.empty()) {
    auto after = (*conn)->exec("SELECT seq FROM deliveries WHERE delivery_id = $1", {filter.after_delivery_id});
    if (!after) return std::move(after).error();
    if (after->rows() == 0) return delivery_not_found();
    before = after->integer(0, 0);
  }
  // A hook's: each status's newest, merged. Otherwise the event's (through
  // deliveries_by_event), or seq backwards.
  auto r = (*conn)->exec(
      !filter.hook_id.empty() && filter.event_id.empty()
          ? "SELECT " RUNHOOKS_DELIVERY_COLUMNS " FROM (" PG_HOOK_STATUS("0") " UNION ALL " PG_HOOK_STATUS("1")
            " UNION ALL " PG_HOOK_STATUS("2") ") d ORDER BY d.seq DESC LIMIT $7"
          : "SELECT " RUNHOOKS_DELIVERY_COLUMNS " FROM deliveries d"
            " WHERE ($2 = '' OR d.hook_id = $2) AND ($4::int < 0 OR d.status = $4::int)" PG_LISTED
            " ORDER BY d.seq DESC LIMIT $7",
      {filter.project_id, filter.hook_id, filter.event_id,
       PgParam(filter.status ? std::int64_t{static_cast<int>(*filter.status)} : std::int64_t{-1}),
       optional_millis(filter.completed_since), PgParam(before), PgParam(static_cast<std::int64_t>(filter.limit))});
  if (!r) return std::move(r).error();
  return read_rows<Delivery>(*r, read_delivery);
}

Result<std::uint64_t> PostgresStorage::count_pending() {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto r = (*conn)->exec("SELECT count(*) FROM deliveries WHERE status = 0");
  if (!r) return std::move(r).error();
  return static_cast<std::uint64_t>(r->integer(0, 0));
}

Result<OutboxEvent> PostgresStorage::get_event(std::string_view event_id) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto r = (*conn)->exec("SELECT " RUNHOOKS_EVENT_COLUMNS " FROM events e WHERE e.event_id = $1", {std::string(event_id)});
  if (!r) return std::move(r).error();
  if (r->rows() == 0) return event_not_found();
  return read_event(*r, 0, 0);
}

Result<std::vector<Attempt>> PostgresStorage::list_attempts(const AttemptFilter& filter) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto r = (*conn)->exec(
      "SELECT " RUNHOOKS_ATTEMPT_COLUMNS " FROM attempts WHERE ($1 = '' OR delivery_id = $1) AND ($2 = '' OR hook_id = $2)"
      " ORDER BY seq DESC LIMIT $3",
      {filter.delivery_id, filter.hook_id, PgParam(static_cast<std::int64_t>(filter.limit))});
  if (!r) return std::move(r).error();
  return read_rows<Attempt>(*r, read_attempt);
}

Result<std::size_t> PostgresStorage::purge_attempts(Timestamp before) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto r = (*conn)->exec("DELETE FROM attempts WHERE started_at < $1", {millis(before)});
  if (!r) return std::move(r).error();
  return static_cast<std::size_t>(r->affected());
}

// Whether event e has a delivery pending or finished at or after $1. A
// subquery per event, through deliveries_by_event: as NOT EXISTS the planner
// turns it into an anti-join that reads the whole deliveries table.
#define PG_EVENT_UNFINISHED                                                                        \
  "COALESCE((SELECT bool_or(d.status = 0 OR d.completed_at IS NULL OR d.completed_at >= $1)"       \
  " FROM deliveries d WHERE d.event_id = e.event_id), false)"

// Workers purging at once take different events (SKIP LOCKED). The
// deliveries are locked before they are checked again and deleted, so a
// redelivery racing with the purge either comes first (and the event stays)
// or finds the delivery gone.
Result<std::size_t> PostgresStorage::purge_events(Timestamp before, std::size_t limit) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto tx = PgTransaction::begin(**conn);
  if (!tx) return std::move(tx).error();
  const PgParam cutoff = millis(before);
  auto candidates = (*conn)->exec(
      "SELECT e.event_id FROM events e WHERE e.created_at < $1 AND NOT " PG_EVENT_UNFINISHED
      " ORDER BY e.created_at LIMIT $2 FOR UPDATE OF e SKIP LOCKED",
      {cutoff, PgParam(static_cast<std::int64_t>(limit))});
  if (!candidates) return std::move(candidates).error();
  std::vector<std::string> ids;
  for (int i = 0; i < candidates->rows(); ++i) ids.push_back(candidates->text(i, 0));
  if (ids.empty()) return std::size_t{0};
  const PgParam id_array = pg_text_array(ids);
  auto locked = (*conn)->exec("SELECT 1 FROM deliveries WHERE event_id = ANY($1::text[]) ORDER BY seq FOR UPDATE",
                              {id_array});
  if (!locked) return std::move(locked).error();
  auto deleted = (*conn)->exec(
      "WITH done AS (SELECT e.event_id FROM events e WHERE e.event_id = ANY($2::text[])"
      "    AND NOT " PG_EVENT_UNFINISHED "),"
      " gone AS (DELETE FROM deliveries WHERE event_id IN (SELECT event_id FROM done))"
      " DELETE FROM events WHERE event_id IN (SELECT event_id FROM done)",
      {cutoff, id_array});
  if (!deleted) return std::move(deleted).error();
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return static_cast<std::size_t>(deleted->affected());
}

Result<std::optional<Timestamp>> PostgresStorage::next_due_at() {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto r = (*conn)->exec(
      "SELECT d.next_attempt_at FROM deliveries d WHERE d.status = 0"
      "   AND (d.ordering_key = '' OR NOT EXISTS (SELECT 1 FROM deliveries p"
      "        WHERE p.status = 0 AND p.ordering_key <> '' AND p.ordering_key = d.ordering_key"
      "          AND p.hook_id = d.hook_id AND p.seq < d.seq))"
      " ORDER BY d.next_attempt_at LIMIT 1");
  if (!r) return std::move(r).error();
  if (r->rows() == 0) return std::optional<Timestamp>();
  return std::optional<Timestamp>(from_millis(r->integer(0, 0)));
}

// ---- LISTEN/NOTIFY ---------------------------------------------------------------

std::shared_ptr<void> PostgresStorage::subscribe_enqueues(std::function<void()> wake) {
  std::lock_guard lock(subscribers_mutex_);
  const std::uint64_t id = next_subscriber_++;
  subscribers_.emplace(id, std::move(wake));
  if (!listener_.joinable()) listener_ = std::thread([this] { listen_loop(); });
  // The handle unsubscribes when dropped. It must not outlive the storage,
  // which its owner (the delivery loop) guarantees by holding both.
  return std::shared_ptr<void>(nullptr, [this, id](void*) {
    std::lock_guard unlock(subscribers_mutex_);
    subscribers_.erase(id);
  });
}

void PostgresStorage::notify_subscribers() {
  std::lock_guard lock(subscribers_mutex_);
  for (auto& [id, wake] : subscribers_) wake();
}

void PostgresStorage::listen_loop() {
  std::unique_ptr<PgConnection> conn;
  while (!stopping_) {
    if (!conn || !conn->healthy()) {
      conn.reset();
      auto opened = PgConnection::open(conninfo_, schema_, std::chrono::seconds(10));
      if (!opened || !(*opened)->exec_script(std::string("LISTEN ") + kNotifyChannel)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the server may be restarting
        continue;
      }
      conn = std::move(*opened);
      notify_subscribers();  // anything enqueued while we were away
    }
    pollfd fd{PQsocket(conn->handle()), POLLIN, 0};
    if (poll(&fd, 1, 200) <= 0) continue;
    if (PQconsumeInput(conn->handle()) == 0) continue;  // broken: reconnect above
    bool told = false;
    while (PGnotify* n = PQnotifies(conn->handle())) {
      told = true;
      PQfreemem(n);
    }
    if (told) notify_subscribers();
  }
}

}  // namespace runhooks::detail
