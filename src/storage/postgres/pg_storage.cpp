// PostgresStorage: opening the store, hooks, API keys, and waking workers
// (LISTEN/NOTIFY). The outbox is in pg_outbox.cpp.

#include "storage/postgres/pg_storage.hpp"

#include "storage/backend_rules.hpp"
#include "storage/postgres/pg_rows.hpp"
#include "storage/postgres/pg_schema.hpp"
#include "storage/record_codec.hpp"

#include <poll.h>

namespace runhooks::detail {

using namespace pg;

namespace {

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
  // Its pending rows, then its deliveries, are locked in seq order, as
  // completions and purges lock them: a delete in the plan's order could
  // deadlock with those. Their attempts go with them (no foreign key does
  // it since schema 5).
  for (const char* sql : {"SELECT 1 FROM pending_deliveries WHERE hook_id = $1 ORDER BY seq FOR UPDATE",
                          "SELECT 1 FROM deliveries WHERE hook_id = $1 ORDER BY seq FOR UPDATE",
                          "DELETE FROM attempts WHERE delivery_id IN (SELECT delivery_id FROM deliveries"
                          " WHERE hook_id = $1)",
                          "DELETE FROM pending_deliveries WHERE hook_id = $1",
                          "DELETE FROM failed_deliveries WHERE hook_id = $1", "DELETE FROM deliveries WHERE hook_id = $1",
                          "DELETE FROM hooks WHERE hook_id = $1"}) {
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
