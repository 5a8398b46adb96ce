// SqliteStorage: opening, hooks and API keys. The outbox is sqlite_outbox.cpp.

#include "storage/sqlite/sqlite_storage.hpp"

#include "storage/backend_rules.hpp"
#include "storage/record_codec.hpp"
#include "storage/row_readers.hpp"
#include "storage/sqlite/sqlite_schema.hpp"

#include <thread>

namespace runhooks::detail {

namespace {

using Kind = Transaction::Kind;

Webhook read_hook(const Statement& row) { return read_hook_row(row); }

ApiKey read_api_key(const Statement& row) { return read_api_key_row(row); }

}  // namespace

Result<std::shared_ptr<Storage>> SqliteStorage::open(const std::string& path, bool read_only,
                                                     const StorageOptions& options) {
  auto connection = SqliteConnection::open(path, read_only);
  if (!connection) return std::move(connection).error();
  SqliteConnection& db = **connection;
  sqlite3_busy_timeout(db.handle(), static_cast<int>(options.busy_timeout.count()));
  if (!read_only) {
    // WAL lets readers work while a writer commits; NORMAL sync in WAL mode
    // survives a process crash (kill -9) without losing a commit, and loses
    // at most the last commits on power loss; FULL syncs the WAL per commit.
    const char* sync_pragma = options.sqlite_synchronous == SqliteSync::full ? "PRAGMA synchronous = FULL"
                                                                              : "PRAGMA synchronous = NORMAL";
    if (auto sync = db.exec(sync_pragma); !sync) return std::move(sync).error();
    if (auto manual = db.exec("PRAGMA wal_autocheckpoint = 0"); !manual) return std::move(manual).error();
    // A WAL that grew in a burst is cut back to 64 MiB when it starts over.
    if (auto limit = db.exec("PRAGMA journal_size_limit = 67108864"); !limit) return std::move(limit).error();
  }
  if (auto fk = db.exec("PRAGMA foreign_keys = ON"); !fk) return std::move(fk).error();
  // Processes opening a new file at once contend for switching it to WAL,
  // which SQLite refuses at once (no busy handler) rather than waiting: so
  // the setup is retried, for up to the busy timeout.
  const auto give_up = std::chrono::steady_clock::now() + options.busy_timeout;
  for (;;) {
    Result<void> ready = read_only ? Result<void>() : db.exec("PRAGMA journal_mode = WAL");
    if (ready) ready = migrate_sqlite_schema(db, read_only);
    if (ready) break;
    if (ready.error().code != ErrorCode::unavailable || std::chrono::steady_clock::now() >= give_up) {
      return std::move(ready).error();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::shared_ptr<SqliteStorage> storage(new SqliteStorage(std::move(*connection), options.busy_timeout));
  if (!read_only) {
    storage->checkpointer_ =
        std::make_unique<WalCheckpointer>(path, options, storage->connection_->handle(), storage->mutex_);
  }
  return std::shared_ptr<Storage>(std::move(storage));
}

SqliteStorage::~SqliteStorage() = default;

Result<void> SqliteStorage::insert_hook(const Webhook& hook, std::size_t max_per_project) {
  std::lock_guard lock(mutex_);
  auto tx = Transaction::begin(*connection_, Kind::immediate);
  if (!tx) return std::move(tx).error();
  {
    auto count = connection_->prepare("SELECT COUNT(*) FROM hooks WHERE project_id = ?1");
    if (!count) return std::move(count).error();
    count->bind(1, hook.project_id);
    auto row = count->step();
    if (!row) return std::move(row).error();
    if (static_cast<std::uint64_t>(count->column_int(0)) >= max_per_project) {
      return hook_cap_reached(max_per_project);
    }
  }
  auto stmt = connection_->prepare(
      "INSERT INTO hooks (hook_id, project_id, url, headers, label, hook_events, event_mask, "
      "secret, retired_secrets, enabled, disabled_reason, created_at, updated_at, failing_since, disabled_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, hook.hook_id).bind(2, hook.project_id).bind(3, hook.url);
  stmt->bind_nullable(4, hook.headers).bind_nullable(5, hook.label);
  stmt->bind(6, encode_events(hook.hook_events));
  stmt->bind(7, std::int64_t{event_mask(hook.hook_events)});
  stmt->bind(8, hook.secret).bind(9, encode_retired_secrets(hook.retired_secrets));
  stmt->bind(10, std::int64_t{hook.enabled}).bind(11, hook.disabled_reason);
  stmt->bind(12, to_millis(hook.created_at)).bind(13, to_millis(hook.updated_at));
  if (hook.failing_since) stmt->bind(14, to_millis(*hook.failing_since)); else stmt->bind_null(14);
  if (hook.disabled_at) stmt->bind(15, to_millis(*hook.disabled_at)); else stmt->bind_null(15);
  if (auto done = stmt->run(); !done) return done;
  return tx->commit();
}

Result<Webhook> SqliteStorage::load_hook(std::string_view hook_id) {
  auto stmt = connection_->prepare("SELECT " RUNHOOKS_HOOK_COLUMNS " FROM hooks WHERE hook_id = ?1");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, hook_id);
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  if (!*row) return hook_not_found();
  return read_hook(*stmt);
}

Result<Webhook> SqliteStorage::get_hook(std::string_view hook_id) {
  std::lock_guard lock(mutex_);
  return load_hook(hook_id);
}

Result<std::vector<Webhook>> SqliteStorage::list_hooks(std::string_view project_id) {
  std::lock_guard lock(mutex_);
  auto stmt = connection_->prepare("SELECT " RUNHOOKS_HOOK_COLUMNS " FROM hooks WHERE project_id = ?1 ORDER BY seq");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, project_id);
  std::vector<Webhook> hooks;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return hooks;
    hooks.push_back(read_hook(*stmt));
  }
}

Result<std::vector<std::string>> SqliteStorage::list_project_ids() {
  std::lock_guard lock(mutex_);
  auto stmt = connection_->prepare("SELECT DISTINCT project_id FROM hooks ORDER BY project_id");
  if (!stmt) return std::move(stmt).error();
  std::vector<std::string> ids;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return ids;
    ids.push_back(stmt->column_text(0));
  }
}

Result<void> SqliteStorage::store_hook(const Webhook& hook) {
  auto stmt = connection_->prepare(
      "UPDATE hooks SET url = ?2, headers = ?3, label = ?4, hook_events = ?5, event_mask = ?6, "
      "secret = ?7, retired_secrets = ?8, enabled = ?9, disabled_reason = ?10, updated_at = ?11, "
      "failing_since = ?12, disabled_at = ?13 WHERE hook_id = ?1");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, hook.hook_id).bind(2, hook.url).bind_nullable(3, hook.headers).bind_nullable(4, hook.label);
  stmt->bind(5, encode_events(hook.hook_events));
  stmt->bind(6, std::int64_t{event_mask(hook.hook_events)});
  stmt->bind(7, hook.secret).bind(8, encode_retired_secrets(hook.retired_secrets));
  stmt->bind(9, std::int64_t{hook.enabled}).bind(10, hook.disabled_reason);
  stmt->bind(11, to_millis(hook.updated_at));
  if (hook.failing_since) stmt->bind(12, to_millis(*hook.failing_since)); else stmt->bind_null(12);
  if (hook.disabled_at) stmt->bind(13, to_millis(*hook.disabled_at)); else stmt->bind_null(13);
  return stmt->run();
}

Result<Webhook> SqliteStorage::modify_hook(
    std::string_view hook_id, const std::function<Result<void>(Webhook&)>& change) {
  std::lock_guard lock(mutex_);
  auto tx = Transaction::begin(*connection_, Kind::immediate);
  if (!tx) return std::move(tx).error();
  auto hook = load_hook(hook_id);
  if (!hook) return hook;
  if (auto changed = change(*hook); !changed) return std::move(changed).error();
  if (auto stored = store_hook(*hook); !stored) return std::move(stored).error();
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return hook;
}

Result<Webhook> SqliteStorage::delete_hook(std::string_view hook_id) {
  std::lock_guard lock(mutex_);
  auto tx = Transaction::begin(*connection_, Kind::immediate);
  if (!tx) return std::move(tx).error();
  auto hook = load_hook(hook_id);
  if (!hook) return hook;
  // Its deliveries go too (their attempts by cascade). Not a foreign key:
  // an index on deliveries.hook_id would be written on every notify for
  // the sake of this rare call, which scans instead. An event left with no
  // delivery has its range emptied, which is how purge_events finds it.
  for (const char* sql : {"UPDATE events SET first_seq = 0, delivery_count = 0"
                          " WHERE event_id IN (SELECT event_id FROM deliveries WHERE hook_id = ?1)"
                          "   AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.seq BETWEEN events.first_seq"
                          "     AND events.first_seq + events.delivery_count - 1 AND d.event_id = events.event_id"
                          "     AND d.hook_id != ?1)",
                          "DELETE FROM deliveries WHERE hook_id = ?1",
                          "DELETE FROM hooks WHERE hook_id = ?1"}) {
    auto stmt = connection_->prepare(sql);
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, hook_id);
    if (auto done = stmt->run(); !done) return std::move(done).error();
  }
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return hook;
}

Result<void> SqliteStorage::insert_api_key(const ApiKey& key) {
  std::lock_guard lock(mutex_);
  auto stmt = connection_->prepare(
      "INSERT INTO api_keys (" RUNHOOKS_API_KEY_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, key.key_id).bind(2, key.key_hash).bind(3, key.label);
  stmt->bind(4, encode_projects(key.projects)).bind(5, std::int64_t{key.all_projects});
  stmt->bind(6, std::int64_t{key.read_only}).bind(7, to_millis(key.created_at));
  return stmt->run();
}

Result<ApiKey> SqliteStorage::find_api_key(std::string_view key_hash) {
  std::lock_guard lock(mutex_);
  auto stmt = connection_->prepare(
      "SELECT " RUNHOOKS_API_KEY_COLUMNS " FROM api_keys WHERE key_hash = ?1");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, key_hash);
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  if (!*row) return api_key_not_found();
  return read_api_key(*stmt);
}

Result<std::vector<ApiKey>> SqliteStorage::list_api_keys() {
  std::lock_guard lock(mutex_);
  auto stmt = connection_->prepare(
      "SELECT " RUNHOOKS_API_KEY_COLUMNS " FROM api_keys ORDER BY seq");
  if (!stmt) return std::move(stmt).error();
  std::vector<ApiKey> keys;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return keys;
    keys.push_back(read_api_key(*stmt));
  }
}

Result<void> SqliteStorage::delete_api_key(std::string_view key_id) {
  std::lock_guard lock(mutex_);
  auto stmt = connection_->prepare("DELETE FROM api_keys WHERE key_id = ?1");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, key_id);
  if (auto done = stmt->run(); !done) return done;
  if (connection_->changes() == 0) return api_key_not_found();
  return {};
}

// ---- Wake-ups across processes ----------------------------------------------------
//
// Another process's notify reaches this one's workers as writes to the file
// (WalWatcher, inotify). So do this Storage's own commits — every claim and
// every batch of completions — which must not wake its own worker: each
// would cost the loop an iteration and a claim transaction that finds
// nothing. PRAGMA data_version on this Storage's connection tells them apart:
// it moves when any other connection commits, never for this one's.
//
// It cannot tell a commit still being written, though: another connection's
// frames reach the -wal (and the watcher) before its commit is visible. So
// when the version has not moved, the write lock settles it: taken without
// waiting, it proves nobody is writing (and the version read under it is the
// last); refused, someone is, and the worker, woken, claims once they are
// done (its claim waits for the lock). Held for microseconds, and only after
// writes the version did not explain.

Result<std::int64_t> SqliteStorage::data_version() {
  auto stmt = connection_->prepare("PRAGMA data_version");
  if (!stmt) return std::move(stmt).error();
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  if (!*row) return Error{ErrorCode::internal, {}, "PRAGMA data_version returned no row"};
  return stmt->column_int(0);
}

WalWatcher::Verdict SqliteStorage::judge_writes(std::int64_t& seen) {
  using Verdict = WalWatcher::Verdict;
  // Busy: one of this process's transactions is running; ask again shortly
  // rather than hold up the watcher's stop behind it.
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return Verdict::retry;
  auto version = data_version();
  if (!version) return Verdict::wake;  // cannot tell: a claim will
  if (*version != seen) {
    seen = *version;
    return Verdict::wake;
  }
  sqlite3* db = connection_->handle();
  sqlite3_busy_timeout(db, 0);
  auto probe = Transaction::begin(*connection_, Transaction::Kind::immediate);
  sqlite3_busy_timeout(db, static_cast<int>(busy_timeout_.count()));
  if (!probe) return Verdict::wake;  // another connection is writing (or a read-only store)
  version = data_version();
  // The probe wrote nothing; its rollback (the destructor) lets the lock go.
  if (!version) return Verdict::wake;
  if (*version == seen) return Verdict::quiet;  // only this Storage wrote
  seen = *version;
  return Verdict::wake;
}

std::shared_ptr<void> SqliteStorage::subscribe_enqueues(std::function<void()> wake) {
  try {
    std::string path;
    std::int64_t seen = 0;
    {
      std::lock_guard lock(mutex_);
      // "" for an in-memory or temporary database: nothing to watch.
      const char* file = sqlite3_db_filename(connection_->handle(), "main");
      if (file == nullptr || *file == '\0') return nullptr;
      path = file;
      auto version = data_version();
      if (!version) return nullptr;
      seen = *version;
    }
    // The watcher's thread may outlive this Storage (a subscriber that keeps
    // its handle longer): it then judges nothing and wakes no one.
    std::weak_ptr<SqliteStorage> self = weak_from_this();
    auto check = [self, seen]() mutable {
      auto storage = self.lock();
      return storage ? storage->judge_writes(seen) : WalWatcher::Verdict::quiet;
    };
    auto watcher = WalWatcher::start(path, std::move(check), std::move(wake));
    if (!watcher) return nullptr;
    return std::shared_ptr<void>(std::move(watcher));
  } catch (...) {
    return nullptr;  // never into the host: the worker polls
  }
}

}  // namespace runhooks::detail
