#include "storage/postgres/pg_schema.hpp"

#include <array>
#include <string>

namespace runhooks::detail {

namespace {

// Migration i brings a schema from version i to i + 1. Append; never edit one
// that has been released.
constexpr std::array<const char*, 5> kMigrations = {
    R"sql(
CREATE TABLE hooks (
  seq             BIGSERIAL PRIMARY KEY,
  hook_id         TEXT NOT NULL UNIQUE,
  project_id      TEXT NOT NULL,
  url             TEXT NOT NULL,
  headers         TEXT,
  label           TEXT,
  hook_events     TEXT NOT NULL,
  event_mask      INTEGER NOT NULL,
  secret          TEXT NOT NULL,
  retired_secrets TEXT NOT NULL,
  enabled         BOOLEAN NOT NULL,
  disabled_reason TEXT NOT NULL,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  failing_since   BIGINT
);
CREATE INDEX hooks_by_project ON hooks(project_id, seq);

CREATE TABLE api_keys (
  seq          BIGSERIAL PRIMARY KEY,
  key_id       TEXT NOT NULL UNIQUE,
  key_hash     TEXT NOT NULL UNIQUE,
  label        TEXT NOT NULL,
  projects     TEXT NOT NULL,
  all_projects BOOLEAN NOT NULL,
  read_only    BOOLEAN NOT NULL,
  created_at   BIGINT NOT NULL
);

CREATE TABLE events (
  event_id        TEXT PRIMARY KEY,
  project_id      TEXT NOT NULL,
  event_type      TEXT NOT NULL,
  payload         TEXT NOT NULL,
  idempotency_key TEXT,
  ordering_key    TEXT NOT NULL,
  created_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX events_idempotency ON events(project_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

CREATE TABLE deliveries (
  seq              BIGSERIAL PRIMARY KEY,
  delivery_id      TEXT NOT NULL UNIQUE,
  event_id         TEXT NOT NULL,
  hook_id          TEXT NOT NULL,
  project_id       TEXT NOT NULL,
  ordering_key     TEXT NOT NULL,
  status           SMALLINT NOT NULL,
  attempt_count    INTEGER NOT NULL,
  next_attempt_at  BIGINT NOT NULL,
  created_at       BIGINT NOT NULL,
  completed_at     BIGINT,
  last_error       TEXT NOT NULL,
  next_trigger     SMALLINT NOT NULL,
  lease_owner      TEXT NOT NULL,
  lease_expires_at BIGINT
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at, seq) WHERE status = 0;
CREATE INDEX deliveries_by_run ON deliveries(ordering_key, hook_id, seq)
  WHERE status = 0 AND ordering_key <> '';
CREATE INDEX deliveries_by_event ON deliveries(event_id, seq);
CREATE INDEX deliveries_by_hook ON deliveries(hook_id, seq);
-- Every completion leaves a dead row version and dead index entries that
-- claims would walk over until vacuumed: vacuum this table early and fast.
ALTER TABLE deliveries SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
                            autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_scale_factor = 0.02);

CREATE TABLE attempts (
  seq           BIGSERIAL PRIMARY KEY,
  attempt_id    TEXT NOT NULL UNIQUE,
  delivery_id   TEXT NOT NULL REFERENCES deliveries(delivery_id) ON DELETE CASCADE,
  hook_id       TEXT NOT NULL,
  started_at    BIGINT NOT NULL,
  duration_ms   BIGINT NOT NULL,
  status_code   INTEGER NOT NULL,
  error_class   SMALLINT NOT NULL,
  error_message TEXT NOT NULL,
  trigger       SMALLINT NOT NULL,
  response_body BYTEA NOT NULL
);
CREATE INDEX attempts_by_delivery ON attempts(delivery_id, seq);
)sql",
    // 2: purge_events walks the events oldest first.
    R"sql(
CREATE INDEX events_by_time ON events(created_at);
)sql",
    // 3: when a hook was disabled (the API shows it).
    R"sql(
ALTER TABLE hooks ADD COLUMN disabled_at BIGINT;
)sql",
    // 4 (runhooks 0.3): delivery history. Attempts keep the request as sent
    // and the answer's header fields (record_codec's encode_headers; empty
    // for attempts made before). The hook index takes the status, so a
    // hook's latest failed ones are a range of it: no extra index entry,
    // since a status change already writes a new entry in every index of
    // the row (status is in deliveries_due's predicate: no HOT update). And
    // a small index of pending test sends, which claims take first.
    R"sql(
ALTER TABLE attempts ADD COLUMN request_url TEXT NOT NULL DEFAULT '',
  ADD COLUMN request_headers BYTEA NOT NULL DEFAULT '',
  ADD COLUMN response_headers BYTEA NOT NULL DEFAULT '',
  ADD COLUMN response_truncated BOOLEAN NOT NULL DEFAULT false;
DROP INDEX deliveries_by_hook;
CREATE INDEX deliveries_by_hook ON deliveries(hook_id, status, seq);
CREATE INDEX deliveries_tests ON deliveries(next_attempt_at, seq) WHERE status = 0 AND next_trigger = 2;
)sql",
    // 5 (runhooks 0.3, issue 15): what a delivery costs the server. An
    // UPDATE that changes a column an index depends on (key or predicate)
    // writes an entry in every index of its table; every claim and every
    // completion did so (status and next_attempt_at are in the pending
    // indexes, status in the hook index), a dozen index entries per
    // delivery. Now (pg_delivery_sql.hpp says how each statement uses them):
    // - the pending set is a table of its own, pending_deliveries, with the
    //   indexes claims read and the lease (its columns dropped from
    //   deliveries); a delivery leaves it when it finishes;
    // - deliveries is indexed by what never changes (the hook index loses
    //   the status), so its updates are HOT where their page has room: a
    //   fillfactor of 50, for a completion batch rewrites neighbouring rows
    //   (pages written before keep what room they had);
    // - failed_deliveries lists the failed ones by hook, for a hook's
    //   latest failed ones (written on a final failure only);
    // - the three busy tables are analyzed once per 100,000 changed rows,
    //   plus PostgreSQL's 10 %: at 2 %, an outbox of 50,000 rows was sampled
    //   and sorted every second, a third of the server's CPU; the worker's
    //   plans are generic, and a listing's follow its indexes;
    // - no foreign key from attempts: its check looked the delivery up and
    //   locked it again per attempt; deletes of deliveries take their
    //   attempts themselves.
    R"sql(
CREATE TABLE pending_deliveries (
  seq              BIGINT PRIMARY KEY,
  hook_id          TEXT NOT NULL,
  ordering_key     TEXT NOT NULL,
  next_attempt_at  BIGINT NOT NULL,
  next_trigger     SMALLINT NOT NULL,
  lease_owner      TEXT NOT NULL,
  lease_expires_at BIGINT
) WITH (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
        autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_threshold = 100000);
INSERT INTO pending_deliveries
  SELECT seq, hook_id, ordering_key, next_attempt_at, next_trigger, lease_owner, lease_expires_at
  FROM deliveries WHERE status = 0;
CREATE INDEX pending_due ON pending_deliveries(next_attempt_at, seq);
CREATE INDEX pending_by_run ON pending_deliveries(ordering_key, hook_id, seq) WHERE ordering_key <> '';
CREATE INDEX pending_tests ON pending_deliveries(next_attempt_at, seq) WHERE next_trigger = 2;
CREATE INDEX pending_by_hook ON pending_deliveries(hook_id, seq);

CREATE TABLE failed_deliveries (
  seq     BIGINT PRIMARY KEY,
  hook_id TEXT NOT NULL
);
INSERT INTO failed_deliveries SELECT seq, hook_id FROM deliveries WHERE status = 2;
CREATE INDEX failed_by_hook ON failed_deliveries(hook_id, seq);

DROP INDEX deliveries_due;
DROP INDEX deliveries_by_run;
DROP INDEX deliveries_tests;
DROP INDEX deliveries_by_hook;
CREATE INDEX deliveries_by_hook ON deliveries(hook_id, seq);
ALTER TABLE deliveries DROP COLUMN lease_owner, DROP COLUMN lease_expires_at;
ALTER TABLE deliveries SET (fillfactor = 50, autovacuum_analyze_threshold = 100000);
ALTER TABLE deliveries RESET (autovacuum_analyze_scale_factor);
ALTER TABLE attempts SET (autovacuum_analyze_threshold = 100000);
ALTER TABLE attempts DROP CONSTRAINT IF EXISTS attempts_delivery_id_fkey;
)sql",
};

// Any constant: every runhooks process migrating any schema takes this lock.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7268531640293)";

}  // namespace

int postgres_schema_version() { return static_cast<int>(kMigrations.size()); }

Result<void> migrate_postgres_schema(PgConnection& conn, const std::string& schema) {
  auto tx = PgTransaction::begin(conn);
  if (!tx) return std::move(tx).error();
  // Two processes starting at once: the second waits here, then finds the
  // schema current.
  if (auto locked = conn.exec(kMigrationLock); !locked) return std::move(locked).error();
  const std::string create = "CREATE SCHEMA IF NOT EXISTS " + pg_identifier(schema) +
                             "; CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)";
  if (auto created = conn.exec_script(create); !created) return created;
  auto row = conn.exec("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!row) return std::move(row).error();
  const int version = static_cast<int>(row->integer(0, 0));
  if (version > postgres_schema_version()) {
    return Error{ErrorCode::internal, {},
                 "the PostgreSQL schema '" + schema + "' was written by a newer runhooks (version " +
                     std::to_string(version) + "; this build supports up to " +
                     std::to_string(postgres_schema_version()) + ")"};
  }
  for (int v = version; v < postgres_schema_version(); ++v) {
    if (auto applied = conn.exec_script(kMigrations[static_cast<std::size_t>(v)]); !applied) return applied;
  }
  if (version != postgres_schema_version()) {
    if (auto cleared = conn.exec("DELETE FROM schema_version"); !cleared) return std::move(cleared).error();
    auto set = conn.exec("INSERT INTO schema_version (version) VALUES ($1)",
                         {PgParam(std::int64_t{postgres_schema_version()})});
    if (!set) return std::move(set).error();
  }
  return tx->commit();
}

}  // namespace runhooks::detail
