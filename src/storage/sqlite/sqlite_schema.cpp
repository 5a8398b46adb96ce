#include "storage/sqlite/sqlite_schema.hpp"

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace runhooks::detail {

namespace {

// Migration i brings a file from version i to i + 1. Append; never edit one
// that has been released (0.1 is the first release).
constexpr std::array<const char*, 7> kMigrations = {
    R"sql(
CREATE TABLE hooks (
  seq             INTEGER PRIMARY KEY,
  hook_id         TEXT NOT NULL UNIQUE,
  project_id      TEXT NOT NULL,
  url             TEXT NOT NULL,
  headers         TEXT,
  label           TEXT,
  hook_events     TEXT NOT NULL,
  event_mask      INTEGER NOT NULL,
  secret          TEXT NOT NULL,
  retired_secrets TEXT NOT NULL,
  enabled         INTEGER NOT NULL,
  disabled_reason TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX hooks_by_project ON hooks(project_id, seq);

CREATE TABLE api_keys (
  seq          INTEGER PRIMARY KEY,
  key_id       TEXT NOT NULL UNIQUE,
  key_hash     TEXT NOT NULL UNIQUE,
  label        TEXT NOT NULL,
  projects     TEXT NOT NULL,
  all_projects INTEGER NOT NULL,
  read_only    INTEGER NOT NULL,
  created_at   INTEGER NOT NULL
);

CREATE TABLE events (
  event_id        TEXT PRIMARY KEY,
  project_id      TEXT NOT NULL,
  event_type      TEXT NOT NULL,
  payload         BLOB NOT NULL,
  idempotency_key TEXT,
  ordering_key    TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  -- An event's deliveries are inserted together: seq first_seq and the next
  -- delivery_count - 1. Finding them needs no index on deliveries.event_id.
  first_seq       INTEGER NOT NULL,
  delivery_count  INTEGER NOT NULL
) WITHOUT ROWID;  -- keyed by the (time-ordered) id itself: one B-tree, not two
CREATE UNIQUE INDEX events_idempotency ON events(project_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

CREATE TABLE deliveries (
  seq              INTEGER PRIMARY KEY,
  delivery_id      TEXT NOT NULL UNIQUE,
  event_id         TEXT NOT NULL,
  hook_id          TEXT NOT NULL,
  project_id       TEXT NOT NULL,
  ordering_key     TEXT NOT NULL,
  status           INTEGER NOT NULL,
  attempt_count    INTEGER NOT NULL,
  next_attempt_at  INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  completed_at     INTEGER,
  last_error       TEXT NOT NULL,
  next_trigger     INTEGER NOT NULL,
  lease_owner      TEXT NOT NULL,
  lease_expires_at INTEGER
);
-- Every index here is written on the hot path, so each is one the queries
-- need and, ids being time-ordered, each grows at its end. Listing by hook or
-- project walks seq backwards instead, stopping at the limit.
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 0;
CREATE INDEX deliveries_by_run ON deliveries(ordering_key, hook_id, seq)
  WHERE status = 0 AND ordering_key != '';

CREATE TABLE attempts (
  seq           INTEGER PRIMARY KEY,
  attempt_id    TEXT NOT NULL UNIQUE,
  delivery_id   TEXT NOT NULL REFERENCES deliveries(delivery_id) ON DELETE CASCADE,
  hook_id       TEXT NOT NULL,
  started_at    INTEGER NOT NULL,
  duration_ms   INTEGER NOT NULL,
  status_code   INTEGER NOT NULL,
  error_class   INTEGER NOT NULL,
  error_message TEXT NOT NULL,
  trigger       INTEGER NOT NULL,
  response_body BLOB NOT NULL
);
CREATE INDEX attempts_by_delivery ON attempts(delivery_id, seq);
)sql",
    // 2: endpoint health (the notifier's health window).
    R"sql(
ALTER TABLE hooks ADD COLUMN failing_since INTEGER;
)sql",
    // 3: the run index on two 64-bit keys (text_key of the ordering key and
    // of the hook id) instead of their text: an entry of ~25 bytes instead of
    // ~100, and an event's deliveries side by side, so a notify writes one
    // page of this index instead of four; a claim still finds a delivery's
    // predecessors in its run and hook exactly. And the index that purging
    // finds undelivered events by.
    R"sql(
ALTER TABLE deliveries ADD COLUMN run_key INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN hook_key INTEGER NOT NULL DEFAULT 0;
UPDATE deliveries SET run_key = runhooks_text_key(ordering_key), hook_key = runhooks_text_key(hook_id)
  WHERE ordering_key != '';
DROP INDEX IF EXISTS deliveries_by_run;
CREATE INDEX deliveries_by_run ON deliveries(run_key, hook_key, seq) WHERE status = 0 AND run_key != 0;
-- Purging finished events (purge_events) finds them by walking the oldest
-- deliveries; events that no hook received are found here instead: those
-- that matched none, and those whose hooks were all deleted (delete_hook
-- empties their delivery range).
UPDATE events SET first_seq = 0, delivery_count = 0 WHERE delivery_count > 0 AND NOT EXISTS (
  SELECT 1 FROM deliveries d WHERE d.seq BETWEEN events.first_seq AND events.first_seq + events.delivery_count - 1
    AND d.event_id = events.event_id);
CREATE INDEX events_undelivered ON events(created_at) WHERE delivery_count = 0;
)sql",
    // 4: a counter of writes to hooks, so a worker can keep its snapshots of
    // the hooks between claims and read one row, not one per hook, to know
    // they still hold (any process's write bumps it, in its transaction).
    R"sql(
CREATE TABLE hooks_version (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
INSERT INTO hooks_version VALUES (1, 0);
CREATE TRIGGER hooks_inserted AFTER INSERT ON hooks BEGIN UPDATE hooks_version SET n = n + 1; END;
CREATE TRIGGER hooks_updated AFTER UPDATE ON hooks BEGIN UPDATE hooks_version SET n = n + 1; END;
CREATE TRIGGER hooks_deleted AFTER DELETE ON hooks BEGIN UPDATE hooks_version SET n = n + 1; END;
)sql",
    // 5: when a hook was disabled (the API shows it). Hooks disabled before
    // keep none: their time is not known.
    R"sql(
ALTER TABLE hooks ADD COLUMN disabled_at INTEGER;
)sql",
    // 6 (runhooks 0.3): delivery history. Attempts keep the request as sent
    // and the answer's header fields (record_codec's encode_headers; empty
    // for attempts made before). Every delivery now carries its hook key (it
    // was only set in runs), and a hook's deliveries are listed without an
    // index by hook on notify's path: its pending ones from the due index,
    // which carries the hook key (an index-only scan of the pending set,
    // still appended to at its end by a notify, and still in claim order),
    // its finished ones from an index written when a delivery finishes (by
    // the worker's batched completion). And a small index of pending test
    // sends, which claims take first.
    R"sql(
ALTER TABLE attempts ADD COLUMN request_url TEXT NOT NULL DEFAULT '';
ALTER TABLE attempts ADD COLUMN request_headers BLOB NOT NULL DEFAULT '';
ALTER TABLE attempts ADD COLUMN response_headers BLOB NOT NULL DEFAULT '';
ALTER TABLE attempts ADD COLUMN response_truncated INTEGER NOT NULL DEFAULT 0;
DROP INDEX deliveries_due;
UPDATE deliveries SET hook_key = runhooks_text_key(hook_id) WHERE hook_key = 0;
CREATE INDEX deliveries_due ON deliveries(next_attempt_at, seq, hook_key) WHERE status = 0;
CREATE INDEX deliveries_done_by_hook ON deliveries(hook_key, status, seq, completed_at) WHERE status != 0;
CREATE INDEX deliveries_tests ON deliveries(next_attempt_at) WHERE status = 0 AND next_trigger = 2;
)sql",
    // 7: the index of finished deliveries by hook is no longer written at
    // each completion (a page per hook a batch touches: most of a
    // completion's WAL frames). A delivery that finishes is noted in
    // done_recent (by seq: appended), and a worker moves those notes into
    // the index a few thousand at a time (`listed`), each index page then
    // written once for many deliveries. A hook's listing reads both.
    R"sql(
ALTER TABLE deliveries ADD COLUMN listed INTEGER NOT NULL DEFAULT 0;
UPDATE deliveries SET listed = 1 WHERE status != 0;
DROP INDEX deliveries_done_by_hook;
CREATE INDEX deliveries_done_by_hook ON deliveries(hook_key, status, seq, completed_at)
  WHERE status != 0 AND listed = 1;
CREATE TABLE done_recent (
  seq          INTEGER PRIMARY KEY,
  hook_key     INTEGER NOT NULL,
  status       INTEGER NOT NULL,
  completed_at INTEGER
);
CREATE TRIGGER deliveries_finished AFTER UPDATE OF status ON deliveries
  WHEN new.status != 0 AND new.listed = 0 BEGIN
  INSERT OR REPLACE INTO done_recent VALUES (new.seq, new.hook_key, new.status, new.completed_at);
END;
CREATE TRIGGER deliveries_reopened AFTER UPDATE OF status ON deliveries
  WHEN new.status = 0 AND old.status != 0 BEGIN
  DELETE FROM done_recent WHERE seq = old.seq;
END;
CREATE TRIGGER deliveries_deleted AFTER DELETE ON deliveries WHEN old.status != 0 AND old.listed = 0 BEGIN
  DELETE FROM done_recent WHERE seq = old.seq;
END;
)sql",
};

void text_key_sql_function(sqlite3_context* context, int, sqlite3_value** argv) {
  const unsigned char* text = sqlite3_value_text(argv[0]);
  const int length = sqlite3_value_bytes(argv[0]);
  const std::string_view key(reinterpret_cast<const char*>(text), text == nullptr ? 0 : static_cast<std::size_t>(length));
  sqlite3_result_int64(context, text_key(key));
}

Result<int> read_version(SqliteConnection& connection) {
  auto stmt = connection.prepare("PRAGMA user_version");
  if (!stmt) return std::move(stmt).error();
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  return static_cast<int>(stmt->column_int(0));
}

Error newer_schema_error(int found) {
  return Error{ErrorCode::internal, {},
               "the store was written by a newer runhooks (schema version " +
                   std::to_string(found) + "; this build supports up to " +
                   std::to_string(sqlite_schema_version()) + ")"};
}

}  // namespace

int sqlite_schema_version() { return static_cast<int>(kMigrations.size()); }

std::int64_t text_key(std::string_view text) {
  if (text.empty()) return 0;
  // 64-bit FNV-1a, then MurmurHash3's finalizer: keys are stored, so this is
  // fixed forever. FNV-1a alone leaves the high bits of keys differing only at
  // the end (".../run/1234", ".../run/1235") nearly equal: consecutive runs
  // would crowd a few index pages, and each insert would rebalance three.
  std::uint64_t hash = 14695981039346656037ull;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdull;
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53ull;
  hash ^= hash >> 33;
  const auto key = static_cast<std::int64_t>(hash);
  return key == 0 ? 1 : key;
}

Result<void> migrate_sqlite_schema(SqliteConnection& connection, bool read_only) {
  if (read_only) {
    auto version = read_version(connection);
    if (!version) return std::move(version).error();
    if (*version > sqlite_schema_version()) return newer_schema_error(*version);
    if (*version < sqlite_schema_version()) {
      return Error{ErrorCode::internal, {},
                   "the read-only store has schema version " + std::to_string(*version) +
                       "; open it read-write once to migrate it to " +
                       std::to_string(sqlite_schema_version())};
    }
    return {};
  }
  // Up to date (the usual case): no write lock needed, so a store opens
  // while another process is writing.
  auto current = read_version(connection);
  if (!current) return std::move(current).error();
  if (*current == sqlite_schema_version()) return {};
  auto tx = Transaction::begin(connection, Transaction::Kind::immediate);
  if (!tx) return std::move(tx).error();
  auto version = read_version(connection);  // again: another process may have migrated
  if (!version) return std::move(version).error();
  if (*version > sqlite_schema_version()) return newer_schema_error(*version);
  // Migrations 3 and 6 compute text keys in SQL; the function lives on this
  // connection only (the schema never names it, so other programs can still
  // write the file).
  const int registered = sqlite3_create_function_v2(
      connection.handle(), "runhooks_text_key", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
      text_key_sql_function, nullptr, nullptr, nullptr);
  if (registered != SQLITE_OK) return sqlite_error(connection.handle(), registered, "registering runhooks_text_key");
  for (int v = *version; v < sqlite_schema_version(); ++v) {
    if (auto applied = connection.exec(kMigrations[static_cast<std::size_t>(v)]); !applied) {
      return applied;
    }
  }
  if (*version != sqlite_schema_version()) {
    const std::string set_version =
        "PRAGMA user_version = " + std::to_string(sqlite_schema_version());
    if (auto set = connection.exec(set_version.c_str()); !set) return set;
  }
  return tx->commit();
}

}  // namespace runhooks::detail

