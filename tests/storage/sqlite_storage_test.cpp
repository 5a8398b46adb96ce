// What only a file can do: persist, be shared by processes, be locked,
// read-only, corrupt, or from the future.

#include <runhooks/runhooks.hpp>

#include "support/backends.hpp"
#include "support/completion.hpp"
#include "support/child_process.hpp"
#include "support/sync_counting_vfs.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <sys/stat.h>
#include <unistd.h>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

namespace {

NewWebhook simple_hook(const std::string& url = "https://example.com/h") {
  return NewWebhook{url, std::nullopt, std::nullopt, {}};
}

// Runs SQL on the file with the plain SQLite API, as another program would.
void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
  (void)message;
}

// Turns a current file back into a version-2 one: runs indexed by their text.
const char* const kDowngradeToVersion2 = R"sql(
DROP TRIGGER deliveries_finished;
DROP TRIGGER deliveries_reopened;
DROP TRIGGER deliveries_deleted;
DROP TABLE done_recent;
DROP INDEX deliveries_tests;
DROP INDEX deliveries_done_by_hook;
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 0;
ALTER TABLE attempts DROP COLUMN request_url;
ALTER TABLE attempts DROP COLUMN request_headers;
ALTER TABLE attempts DROP COLUMN response_headers;
ALTER TABLE attempts DROP COLUMN response_truncated;
ALTER TABLE hooks DROP COLUMN disabled_at;
DROP TRIGGER hooks_inserted;
DROP TRIGGER hooks_updated;
DROP TRIGGER hooks_deleted;
DROP TABLE hooks_version;
DROP INDEX events_undelivered;
DROP INDEX deliveries_by_run;
ALTER TABLE deliveries DROP COLUMN listed;
ALTER TABLE deliveries DROP COLUMN run_key;
ALTER TABLE deliveries DROP COLUMN hook_key;
CREATE INDEX deliveries_by_run ON deliveries(ordering_key, hook_id, seq)
  WHERE status = 0 AND ordering_key != '';
PRAGMA user_version = 2;
)sql";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("a store URI names the backend", "[sqlite]") {
  TempDir dir;
  CHECK(open_storage("memory:"));
  CHECK(open_storage("sqlite:" + dir.file("a.db")));
  CHECK(open_storage("sqlite://" + dir.file("b.db")));  // sqlite:///abs/path
  auto unknown = open_storage("mysql://localhost/x");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == ErrorCode::invalid_argument);
  CHECK_THAT(unknown.error().message, Catch::Contains("expected sqlite:PATH, memory: or postgresql://"));
  CHECK(open_storage("sqlite:").error().code == ErrorCode::invalid_argument);
  CHECK(open_storage("sqlite:" + dir.file("c.db") + "?cache=huge").error().code ==
        ErrorCode::invalid_argument);
  auto missing_dir = open_storage("sqlite:" + dir.file("no/such/dir/x.db"));
  REQUIRE_FALSE(missing_dir);
  CHECK_THAT(missing_dir.error().message, Catch::Contains("no/such/dir/x.db"));
}

TEST_CASE("synchronous=full syncs the WAL on every commit, normal leaves it to checkpoints", "[sqlite]") {
  TempDir dir;
  // Syncs asked of the file system by 20 write transactions on a store opened
  // from `uri` with `options`.
  auto syncs_for_20_commits = [&](const std::string& uri, const StorageOptions& options) {
    SyncCountingVfs vfs;
    auto store = open_storage(uri, options);
    REQUIRE(store);
    WebhookRegistry registry(*store);
    const std::size_t before = vfs.syncs();
    for (int i = 0; i < 20; ++i) REQUIRE(registry.create("p", NewWebhook{"https://example.com/h", {}, {}, {}}));
    return vfs.syncs() - before;
  };
  CHECK(syncs_for_20_commits("sqlite:" + dir.file("normal.db"), {}) < 5);
  CHECK(syncs_for_20_commits("sqlite:" + dir.file("full.db") + "?synchronous=full", {}) >= 20);
  StorageOptions full;
  full.sqlite_synchronous = SqliteSync::full;
  CHECK(syncs_for_20_commits("sqlite:" + dir.file("full-option.db"), full) >= 20);
  // A URI's parameters combine, and an unknown value is refused with the list.
  CHECK(open_storage("sqlite:" + dir.file("full.db") + "?synchronous=full&mode=ro"));
  auto unknown = open_storage("sqlite:" + dir.file("x.db") + "?synchronous=off");
  REQUIRE_FALSE(unknown);
  CHECK_THAT(unknown.error().message, Catch::Contains("synchronous=full"));
}

TEST_CASE("hooks survive closing and reopening the file", "[sqlite]") {
  TempDir dir;
  const std::string uri = "sqlite:" + dir.file("hooks.db");
  Webhook created;
  {
    WebhookRegistry registry(open_storage(uri).value());
    created = registry.create("p", NewWebhook{"https://example.com/x", R"({"A":"b"})", "l",
                                              {EventType::run_start}}).value();
    REQUIRE(registry.rotate_secret(created.hook_id));
    created = registry.get(created.hook_id).value();
  }
  WebhookRegistry reopened(open_storage(uri).value());
  auto loaded = reopened.get(created.hook_id);
  REQUIRE(loaded);
  CHECK(*loaded == created);
  CHECK(loaded->retired_secrets.size() == 1);
}

TEST_CASE("the file is WAL with foreign keys and a schema version", "[sqlite]") {
  TempDir dir;
  const std::string path = dir.file("wal.db");
  REQUIRE(open_storage("sqlite:" + path));
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  auto pragma = [&](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    std::string value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return value;
  };
  CHECK(pragma("PRAGMA journal_mode") == "wal");
  CHECK(pragma("PRAGMA user_version") == "7");
  sqlite3_close(db);
}

TEST_CASE("a file of an older schema is migrated forward, data kept", "[sqlite]") {
  TempDir dir;
  const std::string path = dir.file("old.db");
  Webhook hook;
  {
    WebhookRegistry registry(open_storage("sqlite:" + path).value());
    hook = registry.create("p", simple_hook()).value();
  }
  // Turn the file back into a version-1 file: no health column.
  raw_exec(path, kDowngradeToVersion2);
  raw_exec(path, "ALTER TABLE hooks DROP COLUMN failing_since; PRAGMA user_version = 1;");
  auto reopened = open_storage("sqlite:" + path);
  REQUIRE(reopened);
  CHECK(*WebhookRegistry(*reopened).get(hook.hook_id) == hook);
  auto failing = (*reopened)->modify_hook(hook.hook_id, [](Webhook& h) -> Result<void> {
    h.failing_since = Timestamp(std::chrono::milliseconds(1234));
    return {};
  });
  REQUIRE(failing);
  CHECK((*reopened)->get_hook(hook.hook_id)->failing_since == Timestamp(std::chrono::milliseconds(1234)));
}

TEST_CASE("a version-2 file keeps its runs in order after the migration", "[sqlite]") {
  TempDir dir;
  const std::string path = dir.file("v2.db");
  const Timestamp t0 = Timestamp(std::chrono::milliseconds(1'700'000'000'000));
  auto event = [&](const std::string& id, EventType type, const std::string& run) {
    OutboxEvent e;
    e.event_id = id;
    e.project_id = "p";
    e.type = type;
    e.payload = "{}";
    e.ordering_key = run;
    e.created_at = t0;
    return e;
  };
  std::string finished_start;
  {
    auto store = open_storage("sqlite:" + path).value();
    REQUIRE(WebhookRegistry(store).create("p", simple_hook()));
    // Run 3 started and its RUN_START was delivered before the upgrade.
    REQUIRE(store->enqueue(event("e0", EventType::run_start, "https://ci/run/3")));
    auto claimed = store->claim_due(ClaimRequest{"w0", t0, 30s, 10, 0, {}, {}});
    REQUIRE(claimed);
    REQUIRE(claimed->size() == 1);
    Attempt attempt;
    attempt.attempt_id = "a0";
    attempt.delivery_id = finished_start = claimed->front().delivery.delivery_id;
    attempt.hook_id = claimed->front().delivery.hook_id;
    attempt.started_at = t0;
    attempt.status_code = 200;
    REQUIRE(complete_attempt(*store, "w0", attempt, DeliveryOutcome{DeliveryStatus::succeeded, {}}));
    REQUIRE(store->enqueue(event("e1", EventType::run_start, "https://ci/run/1")));
    REQUIRE(store->enqueue(event("e2", EventType::run_finish, "https://ci/run/1")));
    REQUIRE(store->enqueue(event("e3", EventType::run_finish, "https://ci/run/2")));
    REQUIRE(store->enqueue(event("e6", EventType::run_finish, "https://ci/run/3")));
    REQUIRE(store->enqueue(event("e7", EventType::run_finish, "")));  // no run
    // An event whose only hook was deleted.
    auto other = WebhookRegistry(store).create("q", simple_hook()).value();
    auto e8 = event("e8", EventType::run_finish, "");
    e8.project_id = "q";
    REQUIRE(store->enqueue(e8));
    REQUIRE(store->delete_hook(other.hook_id));
  }
  raw_exec(path, kDowngradeToVersion2);
  // Version 2 left such an event's range pointing at its deleted delivery.
  raw_exec(path, "UPDATE events SET first_seq = 1000, delivery_count = 1 WHERE event_id = 'e8'");
  auto store = open_storage("sqlite:" + path).value();
  // Run 3's start, delivered before the migration, is sent again after it:
  // its finish must wait for it, so finished rows got their keys too.
  REQUIRE(store->reschedule_delivery(finished_start, t0, AttemptTrigger::manual));
  // Run 1's finish waits for its start; run 2 (nothing earlier) and the event
  // without a run go.
  auto claimed = store->claim_due(ClaimRequest{"w", t0 + 1s, 30s, 10, 0, {}, {}});
  REQUIRE(claimed);
  std::vector<std::string> events;
  for (const ClaimedDelivery& c : *claimed) events.push_back(c.event.event_id);
  std::sort(events.begin(), events.end());
  CHECK(events == std::vector<std::string>{"e0", "e1", "e3", "e7"});
  // A run enqueued after the migration is ordered against the migrated one.
  REQUIRE(store->enqueue(event("e4", EventType::run_canceled, "https://ci/run/2")));
  auto later = store->claim_due(ClaimRequest{"w2", t0 + 1s, 30s, 10, 0, {}, {}});
  REQUIRE(later);
  CHECK(later->empty());  // e2, e4 and e6 each wait for a delivery leased to w
  // The migration found the event no hook received any more: only it goes.
  auto purged = store->purge_events(t0 + 1s, 100);
  REQUIRE(purged);
  CHECK(*purged == 1);
  CHECK(store->get_event("e8").error().code == ErrorCode::not_found);
}

TEST_CASE("a file from a newer runhooks is refused, untouched", "[sqlite][faults]") {
  TempDir dir;
  const std::string path = dir.file("future.db");
  REQUIRE(open_storage("sqlite:" + path));
  raw_exec(path, "PRAGMA user_version = 99");
  const std::string before = read_file(path);
  auto opened = open_storage("sqlite:" + path);
  REQUIRE_FALSE(opened);
  CHECK(opened.error().code == ErrorCode::internal);
  CHECK_THAT(opened.error().message, Catch::Contains("newer runhooks (schema version 99"));
  CHECK(read_file(path) == before);
}

TEST_CASE("a file that is not a database is refused, untouched", "[sqlite][faults]") {
  TempDir dir;
  const std::string path = dir.file("garbage.db");
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 512; ++i) out << "this is not a sqlite database ";
  }
  const std::string before = read_file(path);
  auto opened = open_storage("sqlite:" + path);
  REQUIRE_FALSE(opened);
  CHECK(opened.error().code == ErrorCode::internal);
  CHECK_THAT(opened.error().message, Catch::Contains("not a runhooks database, or corrupt"));
  CHECK(read_file(path) == before);
}

TEST_CASE("a store opened read-only reads, refuses writes, keeps its data", "[sqlite][faults]") {
  TempDir dir;
  const std::string path = dir.file("ro.db");
  Webhook hook;
  {
    WebhookRegistry registry(open_storage("sqlite:" + path).value());
    hook = registry.create("p", simple_hook()).value();
  }
  auto store = open_storage("sqlite:" + path + "?mode=ro");
  REQUIRE(store);
  WebhookRegistry registry(*store);
  CHECK(*registry.get(hook.hook_id) == hook);
  auto refused = registry.create("p", simple_hook());
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Catch::Contains("read-only"));
  WebhookPatch patch;
  patch.label.set("x");
  CHECK_FALSE(registry.update(hook.hook_id, patch));
  CHECK_FALSE(registry.remove(hook.hook_id));
  CHECK(registry.list("p")->size() == 1);
  CHECK(*registry.get(hook.hook_id) == hook);
}

TEST_CASE("a file the process may not write is a clear error", "[sqlite][faults]") {
  TempDir dir;
  const std::string path = dir.file("locked-down.db");
  Webhook hook;
  {
    WebhookRegistry registry(open_storage("sqlite:" + path).value());
    hook = registry.create("p", simple_hook()).value();
  }
  REQUIRE(chmod(dir.path().c_str(), 0755) == 0);
  REQUIRE(chmod(path.c_str(), 0444) == 0);
  // Root ignores file modes, so the check runs as an unprivileged user.
  ChildProcess child([&] {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) return 10;
    auto store = open_storage("sqlite:" + path);
    if (store) {
      auto created = WebhookRegistry(*store).create("p", simple_hook());
      return created ? 11 : 0;  // opened, but the write must fail
    }
    const std::string& message = store.error().message;
    const bool clear = message.find("locked-down.db") != std::string::npos ||
                       message.find("readonly") != std::string::npos ||
                       message.find("read-only") != std::string::npos;
    return clear ? 0 : 12;
  });
  CHECK(child.wait() == 0);
  REQUIRE(chmod(path.c_str(), 0644) == 0);
  WebhookRegistry registry(open_storage("sqlite:" + path).value());
  CHECK(*registry.get(hook.hook_id) == hook);
}

TEST_CASE("a write lock held by another process gives 'unavailable', then clears", "[sqlite][faults]") {
  TempDir dir;
  const std::string path = dir.file("busy.db");
  Webhook hook;
  {
    WebhookRegistry setup(open_storage("sqlite:" + path).value());
    hook = setup.create("p", simple_hook()).value();
  }
  // Forked while this process runs no threads of its own (a store runs one).
  Latch locked, release;
  ChildProcess holder([&] {
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return 1;
    // The parent opens the file at the same moment (its store and its
    // checkpointer): wait out their brief locks, as any program would.
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return 2;
    locked.signal();
    release.wait(20000);
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    return 0;
  });
  auto store = open_storage("sqlite:" + path, StorageOptions{100ms}).value();
  WebhookRegistry registry(store);
  REQUIRE(locked.wait(10000));

  auto blocked = registry.create("p", simple_hook("https://example.com/2"));
  REQUIRE_FALSE(blocked);
  CHECK(blocked.error().code == ErrorCode::unavailable);
  CHECK_THAT(blocked.error().message, Catch::Contains("locked"));
  WebhookPatch patch;
  patch.label.set("x");
  CHECK(registry.update(hook.hook_id, patch).error().code == ErrorCode::unavailable);
  // WAL: readers are not blocked by the writer.
  CHECK(*registry.get(hook.hook_id) == hook);
  CHECK(registry.list("p")->size() == 1);

  release.signal();
  CHECK(holder.wait() == 0);
  CHECK(registry.create("p", simple_hook("https://example.com/3")));
  CHECK(registry.list("p")->size() == 2);
  CHECK(registry.get(hook.hook_id)->label == std::nullopt);
}

TEST_CASE("several processes share one file and its cap", "[sqlite][processes]") {
  TempDir dir;
  const std::string uri = "sqlite:" + dir.file("shared.db");
  REQUIRE(open_storage(uri));  // created and migrated once, up front
  constexpr int kProcesses = 3;
  constexpr int kEach = 30;
  std::vector<std::unique_ptr<ChildProcess>> children;
  for (int p = 0; p < kProcesses; ++p) {
    children.push_back(std::make_unique<ChildProcess>([&] {
      auto store = open_storage(uri);
      if (!store) return 1;
      WebhookRegistry registry(*store, RegistryOptions{80, 24h, nullptr});
      int refused = 0;
      for (int i = 0; i < kEach; ++i) {
        auto r = registry.create("shared", simple_hook());
        if (!r && r.error().code != ErrorCode::conflict) return 2;
        if (!r) ++refused;
      }
      return 100 + refused;  // report how many hit the cap
    }));
  }
  int refused = 0;
  for (auto& child : children) {
    const int code = child->wait();
    REQUIRE(code >= 100);
    refused += code - 100;
  }
  CHECK(refused == kProcesses * kEach - 80);
  WebhookRegistry registry(open_storage(uri).value());
  CHECK(registry.list("shared")->size() == 80);
}

TEST_CASE("processes opening a new file at once migrate it once", "[sqlite][processes]") {
  TempDir dir;
  const std::string uri = "sqlite:" + dir.file("race.db");
  std::vector<std::unique_ptr<ChildProcess>> children;
  for (int p = 0; p < 4; ++p) {
    children.push_back(std::make_unique<ChildProcess>([&] {
      auto store = open_storage(uri);
      if (!store) return 1;
      return WebhookRegistry(*store).create("p", simple_hook()) ? 0 : 2;
    }));
  }
  for (auto& child : children) CHECK(child->wait() == 0);
  CHECK(WebhookRegistry(open_storage(uri).value()).list("p")->size() == 4);
}

namespace {

// Stores events fanning out to `hooks` hooks of project "p", as notify does.
struct EventWriter {
  std::shared_ptr<Storage> store;
  Notifier notifier;
  int written = 0;
  EventWriter(std::shared_ptr<Storage> s, int hooks) : store(std::move(s)), notifier(store, quiet()) {
    WebhookRegistry registry(store);
    for (int i = 0; i < hooks; ++i) REQUIRE(registry.create("p", simple_hook()));
  }
  static NotifierOptions quiet() {
    NotifierOptions options;
    options.deliver = false;
    return options;
  }
  void write() {
    RunEvent e;
    e.type = EventType::run_finish;
    e.run_url = "https://app.example.com/run/" + std::to_string(++written);
    REQUIRE(notifier.notify("p", e));
  }
};

}  // namespace

TEST_CASE("a steady stream of writes does not grow the WAL without end", "[sqlite]") {
  TempDir dir;
  const std::string path = dir.file("wal-steady.db");
  StorageOptions options;
  options.wal_catch_up_frames = 64;
  EventWriter writer(open_storage("sqlite:" + path, options).value(), 10);
  // No pause between commits: a passive checkpoint alone never catches the
  // last one, so the WAL would never start over and would hold everything.
  const auto until = std::chrono::steady_clock::now() + 1500ms;
  while (std::chrono::steady_clock::now() < until) writer.write();
  // The WAL header counts the times the WAL started over (bytes 12-15, big
  // endian: the checkpoint sequence number), whatever the machine's speed.
  std::ifstream wal(path + "-wal", std::ios::binary);
  unsigned char header[16] = {};
  REQUIRE(wal.read(reinterpret_cast<char*>(header), sizeof header));
  const std::uint32_t restarts = std::uint32_t{header[12]} << 24 | std::uint32_t{header[13]} << 16 |
                                 std::uint32_t{header[14]} << 8 | header[15];
  CHECK(restarts >= 1);
}

TEST_CASE("a reader holding an old snapshot does not stall the writers", "[sqlite]") {
  TempDir dir;
  const std::string path = dir.file("wal-pinned.db");
  StorageOptions options;
  options.wal_catch_up_frames = 64;
  options.busy_timeout = 300ms;
  EventWriter writer(open_storage("sqlite:" + path, options).value(), 10);
  writer.write();
  // Another program reads in a transaction it keeps open: nothing past its
  // snapshot can be checkpointed, and a checkpoint that waited for it while
  // holding the writers back would make them give up.
  sqlite3* reader = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &reader) == SQLITE_OK);
  sqlite3_busy_timeout(reader, 5000);
  REQUIRE(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM hooks;", nullptr, nullptr, nullptr) == SQLITE_OK);
  const auto until = std::chrono::steady_clock::now() + 1500ms;
  while (std::chrono::steady_clock::now() < until) writer.write();  // each REQUIREs success
  sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(reader);
}

TEST_CASE("snapshots kept between claims follow every write to the hooks, by any process", "[sqlite]") {
  TempDir dir;
  const std::string uri = "sqlite:" + dir.file("snapshots.db");
  auto worker_store = open_storage(uri).value();
  auto other_process = open_storage(uri).value();  // another connection, as another process would have
  const Timestamp t0 = Clock::system().now();
  const Webhook hook = WebhookRegistry(other_process).create("p", simple_hook("https://example.com/a")).value();
  const auto notify = [&](const std::string& event_id) {
    OutboxEvent event;
    event.event_id = event_id;
    event.project_id = "p";
    event.payload = "{}";
    event.created_at = t0;
    REQUIRE(other_process->enqueue(event));
  };
  const auto claim_one = [&] {
    auto claimed = worker_store->claim_due(ClaimRequest{"w", t0 + 1s, 60s, 10, 0, {}, {}});
    REQUIRE(claimed);
    REQUIRE(claimed->size() == 1);
    return claimed->front().endpoint;
  };
  const auto notify_and_claim = [&](const std::string& event_id) {
    notify(event_id);
    return claim_one();
  };
  const auto first = notify_and_claim("e1");
  CHECK(first->url == "https://example.com/a");
  CHECK(notify_and_claim("e2") == first);  // unchanged: the same snapshot, kept

  // Another process changes the hook: the next claim sees it.
  WebhookPatch patch;
  patch.url = std::string("https://example.com/b");
  REQUIRE(WebhookRegistry(other_process).update(hook.hook_id, patch));
  CHECK(notify_and_claim("e3")->url == "https://example.com/b");
  REQUIRE(WebhookRegistry(other_process).rotate_secret(hook.hook_id));
  CHECK(notify_and_claim("e4")->secrets.size() == 2);  // the new secret, and the old one for the grace period
  notify("e5");  // pending when the hook is disabled
  REQUIRE(WebhookRegistry(other_process).disable(hook.hook_id, "paused"));
  const auto disabled = claim_one();
  CHECK_FALSE(disabled->enabled);
  CHECK(disabled->disabled_reason == "paused");
}

// Schema 7: finished deliveries wait in done_recent and are moved into the
// index by hook a few thousand at a time; a hook's listing reads both.
TEST_CASE("a hook's finished deliveries are listed the same before and after they move into the index",
          "[sqlite][listing]") {
  TempDir dir;
  const std::string path = dir.file("done.db");
  auto store = open_storage("sqlite:" + path).value();
  WebhookRegistry registry(store);
  std::vector<std::string> hooks;
  for (int i = 0; i < 3; ++i) hooks.push_back(registry.create("p", simple_hook("https://example.com/" + std::to_string(i)))->hook_id);

  const Timestamp t0(std::chrono::milliseconds(1'700'000'000'000));
  std::map<std::string, std::vector<std::string>> by_hook;  // oldest first
  for (int i = 0; i < 1200; ++i) {
    OutboxEvent event;
    event.event_id = "00000000-0000-4000-8000-" + std::to_string(200000000000 + i);
    event.project_id = "p";
    event.payload = "{}";
    event.created_at = t0;
    auto receipt = store->enqueue(event);
    REQUIRE(receipt);
    for (const std::string& id : receipt->delivery_ids) by_hook[store->get_delivery(id)->hook_id].push_back(id);
  }
  std::set<std::string> failed;
  const auto done_recent = [&] {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM done_recent", -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    const auto n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
  };
  // Every hook's deliveries, newest first, a page of 250 at a time, with
  // and without a status filter, against what was stored and finished.
  const auto check_listings = [&] {
    for (const std::string& hook : hooks) {
      for (const std::optional<DeliveryStatus> status :
           {std::optional<DeliveryStatus>(), std::optional<DeliveryStatus>(DeliveryStatus::failed)}) {
        std::vector<std::string> expected;
        for (auto it = by_hook[hook].rbegin(); it != by_hook[hook].rend(); ++it) {
          if (!status || failed.count(*it) != 0) expected.push_back(*it);
        }
        std::vector<std::string> listed;
        DeliveryFilter filter{"p", hook, "", status, 250, {}, {}};
        for (;;) {
          auto page = store->list_deliveries(filter);
          REQUIRE(page);
          for (const Delivery& d : *page) listed.push_back(d.delivery_id);
          if (page->size() < 250) break;
          filter.after_delivery_id = page->back().delivery_id;
        }
        CHECK(listed == expected);
      }
    }
  };

  std::size_t finished = 0;
  const auto finish = [&](std::size_t how_many) {
    ClaimRequest request{"w", t0 + std::chrono::seconds(1), std::chrono::seconds(30), how_many, 0, {}, {}};
    auto claimed = store->claim_due(request);
    REQUIRE(claimed);
    std::vector<AttemptResult> results;
    for (const ClaimedDelivery& c : *claimed) {
      const bool fail = finished++ % 5 == 0;
      Attempt a;
      a.attempt_id = "a" + std::to_string(finished);
      a.delivery_id = c.delivery.delivery_id;
      a.hook_id = c.delivery.hook_id;
      a.started_at = t0 + std::chrono::seconds(1);
      a.status_code = fail ? 500 : 200;
      a.error_class = fail ? AttemptErrorClass::http_status : AttemptErrorClass::none;
      if (fail) failed.insert(c.delivery.delivery_id);
      results.push_back(settled(c.delivery, a, {fail ? DeliveryStatus::failed : DeliveryStatus::succeeded, {}}));
    }
    REQUIRE(store->complete_attempts("w", results));
  };

  for (int batch = 0; batch < 10; ++batch) finish(100);  // 1,000: all still waiting in done_recent
  CHECK(done_recent() == 1000);
  check_listings();
  for (int batch = 0; batch < 26; ++batch) finish(100);  // 3,600: moved at least once
  CHECK(done_recent() < 2048);
  check_listings();

  // A finished delivery sent again is pending: out of done_recent and of
  // the index, listed as pending; finished again, listed as finished again.
  const std::string again = by_hook[hooks[0]].front();
  REQUIRE(store->reschedule_delivery(again, t0, AttemptTrigger::manual));
  failed.erase(again);
  check_listings();
  auto pending = store->list_deliveries(DeliveryFilter{"p", hooks[0], "", DeliveryStatus::pending, 10, {}, {}});
  REQUIRE(pending);
  REQUIRE(pending->size() == 1);
  CHECK(pending->front().delivery_id == again);
  finish(1);
  check_listings();
}
