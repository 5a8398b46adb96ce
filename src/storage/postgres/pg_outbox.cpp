// PostgresStorage's outbox: events and their deliveries, claims,
// completions, history and purging (pg_delivery_sql.hpp: the tables and
// the statements of a delivery's round trip).

#include "storage/postgres/pg_storage.hpp"

#include "core/random.hpp"
#include "storage/backend_rules.hpp"
#include "storage/postgres/pg_delivery_sql.hpp"
#include "storage/postgres/pg_rows.hpp"
#include "storage/record_codec.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace runhooks::detail {

using namespace pg;

namespace {

Result<Delivery> load_delivery(PgConnection& c, std::string_view id) {
  auto r = c.exec("SELECT " PG_DELIVERY_COLUMNS " FROM" PG_DELIVERY_FROM " WHERE d.delivery_id = $1", {std::string(id)});
  if (!r) return std::move(r).error();
  if (r->rows() == 0) return delivery_not_found();
  return read_delivery(*r, 0);
}

// Makes delivery $1 pending again, due at $2 with trigger $3 (as
// apply_reschedule does): its record, its pending row (made, or its lease
// released) and its place among the failed ones.
constexpr const char* kReschedule =
    "WITH d AS (UPDATE deliveries SET status = 0, next_attempt_at = $2, completed_at = NULL, next_trigger = $3"
    "   WHERE delivery_id = $1 RETURNING seq, hook_id, ordering_key),"
    " unfailed AS (DELETE FROM failed_deliveries WHERE seq IN (SELECT seq FROM d))"
    " INSERT INTO pending_deliveries (seq, hook_id, ordering_key, next_attempt_at, next_trigger, lease_owner)"
    " SELECT seq, hook_id, ordering_key, $2, $3, '' FROM d"
    " ON CONFLICT (seq) DO UPDATE SET next_attempt_at = EXCLUDED.next_attempt_at,"
    "   next_trigger = EXCLUDED.next_trigger, lease_owner = '', lease_expires_at = NULL";

// One pending delivery of `event` per hook, in hook order (seq follows
// ordinality), their first attempt recorded with `trigger`, each with its
// pending row; then listeners are told, at commit, so idle workers
// elsewhere wake.
Result<void> insert_deliveries(PgConnection& c, const OutboxEvent& event, const std::vector<std::string>& ids,
                               const std::vector<std::string>& hook_ids, AttemptTrigger trigger) {
  if (ids.empty()) return {};
  auto fanned = c.exec(
      "WITH d AS (INSERT INTO deliveries (delivery_id, event_id, hook_id, project_id, ordering_key, status,"
      "   attempt_count, next_attempt_at, created_at, last_error, next_trigger)"
      "   SELECT t.delivery_id, $3, t.hook_id, $4, $5, 0, 0, $6, $6, '', $7"
      "   FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(delivery_id, hook_id, n) ORDER BY t.n"
      "   RETURNING seq, hook_id)"
      " INSERT INTO pending_deliveries (seq, hook_id, ordering_key, next_attempt_at, next_trigger, lease_owner)"
      " SELECT seq, hook_id, $5, $6, $7, '' FROM d",
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

// A claim is one statement (kPgClaim), which scans, locks and leases the
// due deliveries and reads their events and hooks. When the per-hook limit
// passed some over while more were due, another round takes more, without
// the hooks at their limit, a few rounds at most.
Result<std::vector<ClaimedDelivery>> PostgresStorage::claim_due(const ClaimRequest& request) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  const bool among = !request.only_delivery_ids.empty();
  const Timestamp expires = request.now + request.lease;
  std::vector<ClaimedDelivery> claimed;
  std::vector<std::int64_t> seqs;  // claimed's
  std::unordered_map<std::string, std::int64_t> held;  // per hook, in claimed
  std::unordered_map<std::string, std::shared_ptr<const EndpointSnapshot>> endpoints;
  std::vector<std::string> orphans;
  for (int round = 0; round < 4 && claimed.size() < request.limit; ++round) {
    const std::size_t wanted = request.limit - claimed.size();
    std::vector<std::string> skip = request.skip_hooks;
    PgArray held_hooks(PgArray::Type::text), held_counts(PgArray::Type::int8);
    for (const auto& [hook, n] : held) {
      if (request.per_hook_limit != 0 && static_cast<std::size_t>(n) >= request.per_hook_limit) skip.push_back(hook);
      held_hooks.add(hook);
      held_counts.add(n);
    }
    Params params{millis(request.now),
                  PgParam(static_cast<std::int64_t>(wanted)),
                  text_array(skip),
                  PgParam(static_cast<std::int64_t>(request.per_hook_limit)),
                  held_hooks.param(),
                  held_counts.param(),
                  request.owner,
                  millis(expires)};
    if (among) params.push_back(text_array(request.only_delivery_ids));
    auto leased = (*conn)->exec_prepared(among ? kPgClaimAmong : kPgClaim, params);
    if (!leased) {
      // Leases taken in a round before are committed: hand them out, or
      // they would wait for their expiry. A claim that returns an error
      // has taken nothing.
      if (!claimed.empty()) break;
      return std::move(leased).error();
    }
    const int hook_at = kDeliveryColumnCount + kEventColumnCount;
    const int seq_at = hook_at + kPgHookColumnCount;
    for (int i = 0; i < leased->rows(); ++i) {
      ClaimedDelivery c{read_delivery(*leased, i), read_event(*leased, i, kDeliveryColumnCount), nullptr};
      if (leased->is_null(i, hook_at)) {
        // A delete_hook that committed between an enqueue's read of the
        // hooks and its insert leaves deliveries without a hook: they go
        // below, or they would come first in every claim forever.
        orphans.push_back(c.delivery.delivery_id);
        continue;
      }
      auto& endpoint = endpoints[c.delivery.hook_id];
      if (!endpoint) endpoint = endpoint_snapshot(read_hook_row(PgRow{*leased, i, hook_at}), request.now);
      c.endpoint = endpoint;
      ++held[c.delivery.hook_id];
      seqs.push_back(leased->integer(i, seq_at));
      claimed.push_back(std::move(c));
    }
    const auto scanned = leased->rows() == 0 ? 0 : static_cast<std::size_t>(leased->integer(0, seq_at + 1));
    if (leased->rows() == 0 || static_cast<std::size_t>(leased->rows()) == wanted || scanned < wanted) break;
  }
  // In claim order: test sends first (unless among named deliveries), then
  // by due time and seq, as the rounds may have found them out of order.
  std::vector<std::size_t> order(claimed.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto key = [&](std::size_t i) {
    const Delivery& d = claimed[i].delivery;
    return std::make_tuple(!among && d.next_trigger == AttemptTrigger::test ? 0 : 1, to_millis(d.next_attempt_at), seqs[i]);
  };
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
  std::vector<ClaimedDelivery> sorted;
  sorted.reserve(claimed.size());
  for (std::size_t i : order) sorted.push_back(std::move(claimed[i]));
  if (!orphans.empty()) {
    // Best effort: the claim stands either way, and an orphan left here is
    // found again once its lease runs out.
    (void)(*conn)->exec("WITH d AS (DELETE FROM deliveries WHERE delivery_id = ANY($1::text[]) RETURNING seq),"
                        " tried AS (DELETE FROM attempts WHERE delivery_id = ANY($1::text[]))"
                        " DELETE FROM pending_deliveries WHERE seq IN (SELECT seq FROM d)",
                        {pg_text_array(orphans)});
  }
  return sorted;
}

Result<std::vector<Result<CompletedAttempt>>> PostgresStorage::complete_attempts(
    std::string_view owner, const std::vector<AttemptResult>& results) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  // Hook health: read the batch's hooks (unlocked) and see which ones the
  // batch would change. Those are locked — before the deliveries, as
  // delete_hook locks a hook before its deliveries — and read again under
  // the lock, in a transaction with the completion and their writes.
  std::vector<std::string> hook_ids;
  bool successes_only = true;
  for (const AttemptResult& r : results) {
    if (r.endpoint.kind != EndpointChange::Kind::none) hook_ids.push_back(r.attempt.hook_id);
    if (r.endpoint.kind != EndpointChange::Kind::none && r.endpoint.kind != EndpointChange::Kind::succeeded) {
      successes_only = false;
    }
  }
  std::unordered_map<std::string, EndpointHealth> seen;
  const auto read_health = [&](const char* sql, const std::vector<std::string>& ids) -> Result<void> {
    auto rows = (*conn)->exec_prepared(sql, {text_array(ids)});
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
  std::vector<std::string> to_lock;
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
    for (const auto& [id, health] : preview.changed()) to_lock.push_back(id);
  }
  // Successes to healthy hooks (most batches) change no hook, nor would any
  // part of them — a success only ever clears a failing_since the preview
  // saw — so their completion is one statement on its own, atomic without a
  // transaction around it. Anything else may write hooks: one transaction.
  std::optional<PgTransaction> tx;
  if (!successes_only || !to_lock.empty()) {
    auto begun = PgTransaction::begin(**conn);
    if (!begun) return std::move(begun).error();
    tx.emplace(std::move(*begun));
    if (!to_lock.empty()) {
      if (auto read = read_health("SELECT hook_id, enabled, disabled_reason, failing_since, disabled_at FROM hooks"
                                  " WHERE hook_id = ANY($1::text[]) ORDER BY hook_id FOR UPDATE",
                                  to_lock);
          !read) {
        return std::move(read).error();
      }
    }
  }
  // Then one statement for the whole batch (kPgComplete), with the first
  // result of each delivery: a second one in the same batch would find the
  // lease released by the first.
  std::unordered_map<std::string, std::size_t> first;  // delivery id -> its first result
  bool retried = false, failed = false;                  // what the batch comes to
  using T = PgArray::Type;
  PgArray d_id(T::text), d_status(T::int2), d_count(T::int4), d_next(T::int8), d_completed(T::int8), d_error(T::text);
  PgArray a_id(T::text), a_delivery(T::text), a_hook(T::text), a_started(T::int8), a_duration(T::int8),
      a_status(T::int4), a_class(T::int2), a_error(T::text), a_trigger(T::int2), a_body(T::bytea), a_url(T::text),
      a_request_headers(T::bytea), a_response_headers(T::bytea), a_truncated(T::boolean);
  for (std::size_t i = 0; i < results.size(); ++i) {
    const Attempt& a = results[i].attempt;
    const DeliveryState& next = results[i].next;
    if (!first.emplace(a.delivery_id, i).second) continue;
    a_id.add(a.attempt_id);
    a_delivery.add(a.delivery_id);
    a_hook.add(a.hook_id);
    a_started.add(to_millis(a.started_at));
    a_duration.add(static_cast<std::int64_t>(a.duration.count()));
    a_status.add(std::int64_t{a.status_code});
    a_class.add(std::int64_t{static_cast<int>(a.error_class)});
    a_error.add(a.error_message);
    a_trigger.add(std::int64_t{static_cast<int>(a.trigger)});
    a_body.add(a.response_body);
    a_url.add(a.request_url);
    a_request_headers.add(encode_headers(a.request_headers));
    a_response_headers.add(encode_headers(a.response_headers));
    a_truncated.add(std::int64_t{a.response_truncated ? 1 : 0});
    // As apply_completion writes it (the statement also releases the lease
    // and sets the next trigger back to scheduled).
    d_id.add(a.delivery_id);
    d_status.add(std::int64_t{static_cast<int>(next.status)});
    d_count.add(std::int64_t{next.attempt_count});
    d_next.add(to_millis(next.next_attempt_at));
    retried = retried || next.status == DeliveryStatus::pending;
    failed = failed || next.status == DeliveryStatus::failed;
    if (next.completed_at) d_completed.add(to_millis(*next.completed_at));
    else d_completed.add_null();
    d_error.add(next.last_error);
  }
  auto done = (*conn)->exec_prepared(
      failed ? kPgComplete : retried ? kPgCompleteRetried : kPgCompleteSucceeded,
      {std::string(owner), d_id.param(), d_status.param(), d_count.param(), d_next.param(), d_completed.param(),
       d_error.param(), a_id.param(), a_delivery.param(), a_hook.param(), a_started.param(), a_duration.param(),
       a_status.param(), a_class.param(), a_error.param(), a_trigger.param(), a_body.param(), a_url.param(),
       a_request_headers.param(), a_response_headers.param(), a_truncated.param()});
  if (!done) return std::move(done).error();
  std::unordered_map<std::string, Delivery> stored;
  for (int i = 0; i < done->rows(); ++i) {
    Delivery d = read_delivery(*done, i);
    stored.emplace(d.delivery_id, std::move(d));
  }
  // Those left alone: gone, or leased by another worker now.
  std::unordered_set<std::string> exists;
  if (stored.size() != first.size()) {
    std::vector<std::string> missing;
    for (const auto& [id, i] : first) {
      if (stored.count(id) == 0) missing.push_back(id);
    }
    auto found = (*conn)->exec("SELECT delivery_id FROM deliveries WHERE delivery_id = ANY($1::text[])",
                               {pg_text_array(missing)});
    if (!found) return std::move(found).error();
    for (int i = 0; i < found->rows(); ++i) exists.insert(found->text(i, 0));
  }

  std::vector<Result<CompletedAttempt>> outcomes;
  HealthChanges health;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const AttemptResult& r = results[i];
    const auto written = stored.find(r.attempt.delivery_id);
    if (first.at(r.attempt.delivery_id) != i) {
      // A second result of one delivery: its lease went with the first.
      outcomes.emplace_back(written != stored.end() || exists.count(r.attempt.delivery_id) != 0 ? lease_lost()
                                                                                                : delivery_not_found());
      continue;
    }
    if (written == stored.end()) {
      outcomes.emplace_back(exists.count(r.attempt.delivery_id) != 0 ? lease_lost() : delivery_not_found());
      continue;
    }
    CompletedAttempt completed{written->second, false, {}};
    // Changes only hooks locked above (a subset of the preview's changes).
    completed.endpoint_disabled = *health.apply(r.attempt.hook_id, r.endpoint, completed.disabled_reason, known_health);
    outcomes.emplace_back(std::move(completed));
  }
  for (const auto& [id, h] : health.changed()) {
    // A change of state (a disable) dates the hook like the disable.
    auto stored_hook = (*conn)->exec(
        "UPDATE hooks SET enabled = $2, disabled_reason = $3, failing_since = $4, disabled_at = $5,"
        " updated_at = CASE WHEN enabled <> $2 AND $5::bigint IS NOT NULL THEN $5::bigint ELSE updated_at END"
        " WHERE hook_id = $1",
        {id, boolean(h.enabled), h.disabled_reason, optional_millis(h.failing_since), optional_millis(h.disabled_at)});
    if (!stored_hook) return std::move(stored_hook).error();
  }
  if (tx) {
    if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  }
  return outcomes;
}

Result<void> PostgresStorage::release_leases(std::string_view owner, const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto r = (*conn)->exec(
      "UPDATE pending_deliveries SET lease_owner = '', lease_expires_at = NULL"
      " WHERE seq = ANY(ARRAY(SELECT seq FROM deliveries WHERE delivery_id = ANY($1::text[]))) AND lease_owner = $2",
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
  // Its pending row (if any) first, then the delivery: the order every
  // statement locks them in.
  for (const char* sql : {"SELECT 1 FROM pending_deliveries WHERE seq = (SELECT seq FROM deliveries"
                          " WHERE delivery_id = $1) FOR UPDATE",
                          "SELECT 1 FROM deliveries WHERE delivery_id = $1 FOR UPDATE"}) {
    if (auto locked = (*conn)->exec(sql, {std::string(delivery_id)}); !locked) return std::move(locked).error();
  }
  auto delivery = load_delivery(**conn, delivery_id);
  if (!delivery) return delivery;
  apply_reschedule(*delivery, at, trigger);
  auto stored = (*conn)->exec(kReschedule, {std::string(delivery_id), millis(at),
                                            PgParam(std::int64_t{static_cast<int>(trigger)})});
  if (!stored) return std::move(stored).error();
  if (auto told = (*conn)->exec("SELECT pg_notify($1, '')", {kNotifyChannel}); !told) return std::move(told).error();
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return delivery;
}

Result<Delivery> PostgresStorage::get_delivery(std::string_view delivery_id) {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  return load_delivery(**conn, delivery_id);
}

// A page of deliveries, newest first; every query binds $1 project, $2
// hook, $3 event, $4 status (-1: any), $5 completed since (NULL: any), $6
// the seq the page starts below, $7 the limit.
#define PG_LISTED                                                                                  \
  " AND d.seq < $6 AND ($1 = '' OR d.project_id = $1) AND ($3 = '' OR d.event_id = $3)"            \
  " AND ($4::int < 0 OR d.status = $4::int) AND ($5::bigint IS NULL OR d.completed_at >= $5::bigint)" \
  " ORDER BY d.seq DESC LIMIT $7"
namespace {
// One hook's pending ones: a range of pending_by_hook.
constexpr const char* kHookPending =
    "SELECT " PG_DELIVERY_COLUMNS " FROM pending_deliveries q JOIN deliveries d ON d.seq = q.seq"
    " WHERE q.hook_id = $2 AND q.seq < $6" PG_LISTED;
// One hook's failed ones: a range of failed_by_hook.
constexpr const char* kHookFailed =
    "SELECT " PG_DELIVERY_COLUMNS " FROM failed_deliveries f JOIN" PG_DELIVERY_FROM " ON d.seq = f.seq"
    " WHERE f.hook_id = $2 AND f.seq < $6" PG_LISTED;
// One hook's of any status, or succeeded: deliveries_by_hook backwards
// (its pending ones, at its newest end, passed over for succeeded ones).
constexpr const char* kHookAll = "SELECT " PG_DELIVERY_COLUMNS " FROM" PG_DELIVERY_FROM " WHERE d.hook_id = $2" PG_LISTED;
// The rest: an event's (through deliveries_by_event), or seq backwards.
constexpr const char* kListed =
    "SELECT " PG_DELIVERY_COLUMNS " FROM" PG_DELIVERY_FROM " WHERE ($2 = '' OR d.hook_id = $2)" PG_LISTED;
}  // namespace

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
  const char* sql = kListed;
  if (!filter.hook_id.empty() && filter.event_id.empty()) {
    sql = filter.status == DeliveryStatus::pending  ? kHookPending
          : filter.status == DeliveryStatus::failed ? kHookFailed
                                                    : kHookAll;
  }
  auto r = (*conn)->exec(
      sql, {filter.project_id, filter.hook_id, filter.event_id,
            PgParam(filter.status ? std::int64_t{static_cast<int>(*filter.status)} : std::int64_t{-1}),
            optional_millis(filter.completed_since), PgParam(before), PgParam(static_cast<std::int64_t>(filter.limit))});
  if (!r) return std::move(r).error();
  return read_rows<Delivery>(*r, read_delivery);
}

Result<std::uint64_t> PostgresStorage::count_pending() {
  auto conn = pool_.acquire();
  if (!conn) return std::move(conn).error();
  auto r = (*conn)->exec("SELECT count(*) FROM pending_deliveries");
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
      " tried AS (DELETE FROM attempts WHERE delivery_id IN (SELECT delivery_id FROM deliveries"
      "    WHERE event_id IN (SELECT event_id FROM done))),"
      " unfailed AS (DELETE FROM failed_deliveries WHERE seq IN (SELECT seq FROM deliveries"
      "    WHERE event_id IN (SELECT event_id FROM done))),"
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
      "SELECT q.next_attempt_at FROM pending_deliveries q"
      " WHERE q.ordering_key = '' OR NOT EXISTS (SELECT 1 FROM pending_deliveries p"
      "   WHERE p.ordering_key <> '' AND p.ordering_key = q.ordering_key AND p.hook_id = q.hook_id AND p.seq < q.seq)"
      " ORDER BY q.next_attempt_at LIMIT 1");
  if (!r) return std::move(r).error();
  if (r->rows() == 0) return std::optional<Timestamp>();
  return std::optional<Timestamp>(from_millis(r->integer(0, 0)));
}

}  // namespace runhooks::detail
