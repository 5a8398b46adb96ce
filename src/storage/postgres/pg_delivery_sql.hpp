#pragma once
// The statements of a delivery's round trip on PostgreSQL — claim and
// completion — and the shape of the tables they touch (schema 5).
//
// What a delivery costs the server is mostly what it writes, and an UPDATE
// that changes a column some index depends on (in its key or its predicate)
// writes a new entry in every index of the table. So since schema 5 the
// columns that change on every delivery are in no index of `deliveries`:
//
// - `pending_deliveries` holds one row per pending delivery (seq, hook,
//   ordering key, next attempt time and trigger, lease) with the indexes
//   claims read (due order, runs, test sends, by hook). A claim's lease
//   changes no indexed column: on a page with room (fillfactor) it is a HOT
//   update. A delivery that finishes leaves it (a DELETE: nothing written
//   to its indexes); one that is retried has its row updated.
// - `deliveries` keeps every delivery's record, status included, indexed
//   only by columns that never change (seq, id, event, hook), so a
//   completion is a HOT update too (fillfactor 50: a completion batch
//   rewrites a run of neighbouring rows, each needing room on its page).
// - `failed_deliveries` (seq, hook) lists those that failed for good, for
//   a hook's latest failed ones (written only on a final failure).
//
// A delivery's lease is read from its pending row (PG_DELIVERY_COLUMNS).
// Locks, where a statement takes several: pending rows before deliveries
// rows, each in seq order, so that no two statements wait on each other.
// Claims take nothing they would wait for (SKIP LOCKED).
//
// The claim and completion are prepared statements
// (PgConnection::exec_prepared): parsed once per connection, and their
// plans do not depend on the values, so PostgreSQL's generic plan serves
// every call.

#include "storage/row_readers.hpp"

namespace runhooks::detail {

/// A delivery with its lease, in RUNHOOKS_DELIVERY_COLUMNS' order (for
/// read_delivery_row): from `deliveries d` LEFT JOIN `pending_deliveries q`
/// ON q.seq = d.seq (PG_DELIVERY_FROM).
#define PG_DELIVERY_COLUMNS                                                                     \
  "d.delivery_id, d.event_id, d.hook_id, d.project_id, d.ordering_key, d.status, "              \
  "d.attempt_count, d.next_attempt_at, d.created_at, d.completed_at, d.last_error, "            \
  "d.next_trigger, COALESCE(q.lease_owner, ''), q.lease_expires_at"
#define PG_DELIVERY_FROM " deliveries d LEFT JOIN pending_deliveries q ON q.seq = d.seq"

/// Whether pending delivery `q` may be claimed at time `now` (an SQL
/// expression): due, its lease (if any) run out, and no earlier pending
/// delivery of its run to its hook (deliveries sharing a hook and an
/// ordering key go out one at a time, in enqueue order).
#define PG_CLAIMABLE(now)                                                                       \
  "q.next_attempt_at <= " now " AND (q.lease_expires_at IS NULL OR q.lease_expires_at <= " now ")" \
  " AND (q.ordering_key = '' OR NOT EXISTS (SELECT 1 FROM pending_deliveries p"                 \
  "      WHERE p.ordering_key <> '' AND p.ordering_key = q.ordering_key"                        \
  "        AND p.hook_id = q.hook_id AND p.seq < q.seq))"

/// A bigint parameter the planner cannot see (an InitPlan): a plan that
/// depends on it would estimate from its value, so each call's custom plan
/// would look cheaper than the generic one and PostgreSQL would plan every
/// call anew (0.3 to 0.9 ms, more than a small batch's own work). Seen
/// through this, every plan costs the same, and the generic one is kept
/// after the first five. The claim's and completion's other parameters
/// (arrays, the owner) are read the same way, in scalar subqueries.
#define PG_OPAQUE(param) "(SELECT " param "::bigint)"

/// From a table aliased `h`, in RUNHOOKS_HOOK_COLUMNS' order.
#define PG_HOOK_COLUMNS_OF_H                                                                    \
  "h.hook_id, h.project_id, h.url, h.headers, h.label, h.hook_events, h.secret, "               \
  "h.retired_secrets, h.enabled, h.disabled_reason, h.created_at, h.updated_at, "               \
  "h.failing_since, h.disabled_at"
inline constexpr int kPgHookColumnCount = 14;

/// The pending deliveries a claim may take, in due order, locked: rows
/// another claim holds right now are passed over (SKIP LOCKED), so claims
/// never wait on each other nor take the same delivery. $1 now, $2 how
/// many, $3 hooks to pass over; `which` narrows them.
#define PG_CLAIM_SCAN(which)                                                                    \
  "SELECT q.seq, q.hook_id, q.next_attempt_at FROM pending_deliveries q"                        \
  " WHERE " which " AND " PG_CLAIMABLE(PG_OPAQUE("$1"))                                          \
  "   AND NOT (q.hook_id = ANY((SELECT $3::text[])::text[]))"                                   \
  " ORDER BY q.next_attempt_at, q.seq LIMIT " PG_OPAQUE("$2") " FOR UPDATE SKIP LOCKED"

/// What a claim takes of the scanned rows `c` (k: 0 for a test send, 1 for
/// the rest) and what it returns. $4 the most per hook (0: no limit), with
/// $5/$6 the hooks this claim holds deliveries of already and how many;
/// leased to $7 until $8. Returns each leased delivery with its event, its
/// hook (NULLs when the hook is gone), its seq, and how many rows of `u`
/// were scanned (fewer than $2: the due ones ran out).
#define PG_CLAIM_TAKE                                                                           \
  " ranked AS (SELECT c.seq, c.k, c.next_attempt_at,"                                           \
  "     row_number() OVER (PARTITION BY c.hook_id ORDER BY c.k, c.next_attempt_at, c.seq)"       \
  "       + COALESCE(held.n, 0) AS nth"                                                         \
  "   FROM c LEFT JOIN unnest((SELECT $5::text[]), (SELECT $6::int8[])) AS held(hook_id, n)"   \
  "     ON held.hook_id = c.hook_id),"                                                          \
  " picked AS (SELECT seq FROM ranked WHERE " PG_OPAQUE("$4") " = 0 OR nth <= " PG_OPAQUE("$4") \
  "   ORDER BY k, next_attempt_at, seq LIMIT " PG_OPAQUE("$2") "),"                               \
  " q AS (UPDATE pending_deliveries q SET lease_owner = $7, lease_expires_at = $8 FROM picked"   \
  "   WHERE q.seq = picked.seq RETURNING q.seq, q.lease_owner, q.lease_expires_at)"              \
  " SELECT " PG_DELIVERY_COLUMNS ", " RUNHOOKS_EVENT_COLUMNS ", " PG_HOOK_COLUMNS_OF_H          \
  "   , d.seq, (SELECT count(*) FROM u)"                                                        \
  " FROM q JOIN deliveries d ON d.seq = q.seq JOIN events e ON e.event_id = d.event_id"         \
  "   LEFT JOIN hooks h ON h.hook_id = d.hook_id"

/// A claim in one statement: the pending test sends first (from their own
/// small index), then the other due deliveries. Where a page has room, the
/// lease is a HOT update.
inline constexpr const char* kPgClaim =
    "WITH t AS (" PG_CLAIM_SCAN("q.next_trigger = 2") "),"
    " u AS (" PG_CLAIM_SCAN("q.next_trigger <> 2") "),"
    " c AS (SELECT seq, hook_id, 0 AS k, next_attempt_at FROM t"
    "   UNION ALL SELECT seq, hook_id, 1, next_attempt_at FROM u)," PG_CLAIM_TAKE;

/// The same among the deliveries $9 only (ClaimRequest::only_delivery_ids),
/// test sends or not, in one order.
inline constexpr const char* kPgClaimAmong =
    "WITH u AS (" PG_CLAIM_SCAN("q.seq = ANY(ARRAY(SELECT seq FROM deliveries WHERE delivery_id = ANY($9::text[])))") "),"
    " c AS (SELECT seq, hook_id, 1 AS k, next_attempt_at FROM u)," PG_CLAIM_TAKE;

/// A batch of completions in one statement. Each delivery whose lease $1
/// still holds (its pending row locked first, so that no claim takes it
/// over meanwhile) takes its new state — a HOT update — and gets its
/// attempt; finished, it leaves the pending set (and, failed, joins the
/// failed ones); retried, its pending row takes the next attempt time. A
/// delivery whose lease was lost, or that is gone, is left alone, attempt
/// and all. Returns the deliveries as stored after. $2..$7 their new
/// states, $8..$21 the attempts (one per delivery, in the same order).
/// The owner and the arrays are read through scalar subqueries, as
/// PG_OPAQUE does: a custom plan would estimate from them (the owner's
/// share of the leases, the arrays' length), look cheaper than the generic
/// one, and be made anew for every call (0.5 ms, more than a small batch's
/// own work). `more` adds the parts for retries and
/// failures (PG_COMPLETE_RETRIED, PG_COMPLETE_FAILED), which a batch
/// without any leaves out: each part opens its tables and indexes on every
/// call.
#define PG_COMPLETE(more)                                                                       \
  "WITH u AS (SELECT * FROM unnest((SELECT $2::text[]), (SELECT $3::smallint[]), (SELECT $4::int[])," \
  "     (SELECT $5::bigint[]), (SELECT $6::bigint[]), (SELECT $7::text[]))"                         \
  "   AS u(delivery_id, status, attempt_count, next_at, completed_at, last_error)),"           \
  " held AS (SELECT q.seq, u.* FROM u JOIN deliveries d ON d.delivery_id = u.delivery_id"      \
  "   JOIN pending_deliveries q ON q.seq = d.seq WHERE q.lease_owner = (SELECT $1::text)"        \
  "   ORDER BY q.seq FOR UPDATE OF q),"                                                          \
  " done AS (UPDATE deliveries d SET status = l.status, attempt_count = l.attempt_count,"      \
  "   next_attempt_at = l.next_at, completed_at = l.completed_at, last_error = l.last_error, next_trigger = 0" \
  "   FROM held l WHERE d.seq = l.seq"                                                          \
  "   RETURNING d.seq, d.delivery_id, d.event_id, d.hook_id, d.project_id, d.ordering_key, d.status," \
  "     d.attempt_count, d.next_attempt_at, d.created_at, d.completed_at, d.last_error, d.next_trigger)," \
  " left_pending AS (DELETE FROM pending_deliveries q USING done WHERE q.seq = done.seq AND done.status <> 0)," \
  more                                                                                          \
  " recorded AS (INSERT INTO attempts (" RUNHOOKS_ATTEMPT_COLUMNS ")"                           \
  "   SELECT a.attempt_id, a.delivery_id, a.hook_id, a.started_at, a.duration_ms, a.status_code, a.error_class," \
  "     a.error_message, a.trigger, a.response_body, a.request_url, a.request_headers, a.response_headers," \
  "     a.response_truncated"                                                                   \
  "   FROM unnest((SELECT $8::text[]), (SELECT $9::text[]), (SELECT $10::text[]), (SELECT $11::bigint[])," \
  "     (SELECT $12::bigint[]), (SELECT $13::int[]), (SELECT $14::smallint[]), (SELECT $15::text[])," \
  "     (SELECT $16::smallint[]), (SELECT $17::bytea[]), (SELECT $18::text[]), (SELECT $19::bytea[])," \
  "     (SELECT $20::bytea[]), (SELECT $21::boolean[]))"                                          \
  "     WITH ORDINALITY AS a(attempt_id, delivery_id, hook_id, started_at, duration_ms, status_code, error_class," \
  "       error_message, trigger, response_body, request_url, request_headers, response_headers," \
  "       response_truncated, n)"                                                               \
  "   WHERE a.delivery_id IN (SELECT delivery_id FROM done) ORDER BY a.n)"                      \
  " SELECT d.delivery_id, d.event_id, d.hook_id, d.project_id, d.ordering_key, d.status, d.attempt_count," \
  "   d.next_attempt_at, d.created_at, d.completed_at, d.last_error, d.next_trigger, '', NULL"  \
  " FROM done d"
#define PG_COMPLETE_RETRIED                                                                     \
  " retried AS (UPDATE pending_deliveries q SET next_attempt_at = done.next_attempt_at, next_trigger = 0," \
  "   lease_owner = '', lease_expires_at = NULL FROM done WHERE q.seq = done.seq AND done.status = 0),"
#define PG_COMPLETE_FAILED                                                                      \
  " failed AS (INSERT INTO failed_deliveries (seq, hook_id) SELECT seq, hook_id FROM done WHERE status = 2" \
  "   ON CONFLICT (seq) DO NOTHING),"

/// Batches by what their deliveries come to: all succeeded, or some
/// retried and none failed, or some failed for good (retried or not).
inline constexpr const char* kPgCompleteSucceeded = PG_COMPLETE("");
inline constexpr const char* kPgCompleteRetried = PG_COMPLETE(PG_COMPLETE_RETRIED);
inline constexpr const char* kPgComplete = PG_COMPLETE(PG_COMPLETE_RETRIED PG_COMPLETE_FAILED);

}  // namespace runhooks::detail
