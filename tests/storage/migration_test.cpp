// A store written by the previous release, 0.2.0, opens with this one,
// migrates, and keeps its hooks, keys, events, deliveries and attempts; the
// migrated store then works as a new one. The stores are SQL dumps in
// fixtures/, written by 0.2.0 itself (fixtures/make_020_store.cpp says how,
// and what they hold).

#include <runhooks/runhooks.hpp>

#include "support/backends.hpp"
#include "support/completion.hpp"
#include "support/fixture_file.hpp"
#include "support/process.hpp"
#include "support/sqlite_file.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <algorithm>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

namespace {

const Timestamp kT0 = Timestamp(1795759200000ms);
std::string hook_id(char n) { return std::string("00000000-0000-4000-8000-00000000000") + n; }

std::string fixture(const std::string& name) { return read_fixture(__FILE__, name); }

std::vector<Delivery> list(Storage& store, DeliveryFilter filter) {
  auto listed = store.list_deliveries(filter);
  INFO((listed ? std::string() : listed.error().message));
  REQUIRE(listed);
  return *listed;
}

std::vector<std::string> events_of(const std::vector<Delivery>& deliveries) {
  std::vector<std::string> events;
  for (const Delivery& d : deliveries) events.push_back(d.event_id);
  return events;
}

DeliveryFilter of_hook(char n, std::size_t limit = 100) {
  DeliveryFilter f;
  f.hook_id = hook_id(n);
  f.limit = limit;
  return f;
}

// Everything make_020_store.cpp wrote, read back through this release.
void check_kept(Storage& store) {
  CHECK(*store.list_project_ids() == std::vector<std::string>{"acme", "beta"});
  const auto acme = store.list_hooks("acme");
  REQUIRE(acme);
  REQUIRE(acme->size() == 3);
  const Webhook& h1 = (*acme)[0];
  CHECK(h1.hook_id == hook_id('1'));
  CHECK(h1.url == "https://example.com/hooks/1");
  CHECK(h1.headers == R"({"Authorization":"Bearer receiver-token","X-Team":"ci"})");
  CHECK(h1.label == "main");
  CHECK(h1.secret == "whsec_c2VjcmV0LW9mLWhvb2st1");
  REQUIRE(h1.retired_secrets.size() == 1);
  CHECK(h1.retired_secrets[0].expires_at == kT0 + 24h);
  CHECK(h1.created_at == kT0);
  CHECK((*acme)[1].hook_events == std::vector<EventType>{EventType::run_start});
  CHECK_FALSE((*acme)[2].enabled);
  CHECK((*acme)[2].disabled_reason == "endpoint answered 410 Gone");
  CHECK_FALSE((*acme)[2].disabled_at);  // not known for hooks disabled before 0.3
  CHECK(store.get_hook(hook_id('4'))->failing_since == kT0);
  const auto keys = store.list_api_keys();
  REQUIRE(keys);
  REQUIRE(keys->size() == 1);
  CHECK(keys->front().projects == std::vector<std::string>{"acme"});
  CHECK(keys->front().read_only);

  const auto e1 = store.get_event("e1");
  REQUIRE(e1);
  CHECK(e1->idempotency_key == "idem-1");
  CHECK(e1->ordering_key == "run-1");
  CHECK(e1->payload == R"({"event":"RUN_START","id":"e1"})");

  // Each hook's deliveries, from the indexes the migration built.
  const auto on_h1 = list(store, of_hook('1'));
  CHECK(events_of(on_h1) == std::vector<std::string>{"e4", "e2", "e1"});
  REQUIRE(on_h1.size() == 3);
  CHECK(on_h1[1].status == DeliveryStatus::pending);
  CHECK(on_h1[1].attempt_count == 1);
  CHECK(on_h1[1].next_attempt_at == kT0 + 1min);
  CHECK(on_h1[1].last_error == "HTTP 500");
  CHECK(on_h1[2].status == DeliveryStatus::succeeded);
  CHECK(on_h1[2].completed_at == kT0 + 1s + 25ms);
  CHECK(events_of(list(store, of_hook('2'))) == std::vector<std::string>{"e4", "e1"});
  CHECK(list(store, of_hook('3')).empty());
  DeliveryFilter failed = of_hook('2');
  failed.status = DeliveryStatus::failed;
  const auto failed_on_h2 = list(store, failed);
  REQUIRE(failed_on_h2.size() == 1);
  CHECK(failed_on_h2[0].last_error == "HTTP 410");
  DeliveryFilter page = of_hook('1', 1);
  page.after_delivery_id = on_h1[0].delivery_id;
  CHECK(events_of(list(store, page)) == std::vector<std::string>{"e2"});
  DeliveryFilter since;
  since.project_id = "acme";
  since.completed_since = kT0 + 1s;
  CHECK(list(store, since).size() == 2);  // e1 on both hooks
  CHECK(*store.count_pending() == 3);

  // The attempts, the new fields empty.
  const auto e3 = list(store, of_hook('4'));
  REQUIRE(e3.size() == 1);
  CHECK(e3[0].attempt_count == 2);
  const auto attempts = store.list_attempts(AttemptFilter{e3[0].delivery_id, "", 10});
  REQUIRE(attempts);
  REQUIRE(attempts->size() == 2);
  CHECK((*attempts)[0].attempt_id == "a5");
  CHECK((*attempts)[0].status_code == 200);
  CHECK((*attempts)[0].response_body == "ok");
  CHECK((*attempts)[1].status_code == 503);
  CHECK((*attempts)[1].started_at == kT0 + 1s);
  CHECK((*attempts)[1].duration == 25ms);
  for (const Attempt& a : *store.list_attempts(AttemptFilter{"", "", 100})) {
    CHECK(a.request_url.empty());
    CHECK(a.request_headers.empty());
    CHECK(a.response_headers.empty());
    CHECK_FALSE(a.response_truncated);
    CHECK(a.trigger == AttemptTrigger::scheduled);
  }
  CHECK(store.list_attempts(AttemptFilter{"", hook_id('1'), 100})->size() == 2);
}

// The migrated store at work: idempotency, run order, claims, the new fields.
void check_usable(Storage& store) {
  auto first = store.get_event("e1");
  REQUIRE(first);
  OutboxEvent again;  // the same event again, under its key
  again.event_id = "e1-again";
  again.project_id = "acme";
  again.type = first->type;
  again.payload = first->payload;
  again.idempotency_key = "idem-1";
  again.created_at = kT0 + 1h;
  const auto duplicate = store.enqueue(again);
  REQUIRE(duplicate);
  CHECK(duplicate->duplicate);
  CHECK(duplicate->event_id == "e1");
  CHECK(duplicate->delivery_ids.size() == 2);

  OutboxEvent test;
  test.event_id = "t1";
  test.project_id = "acme";
  test.payload = "{}";
  test.created_at = kT0 + 1min;
  const auto sent = store.enqueue_to_hook(test, hook_id('3'), AttemptTrigger::test);  // the disabled one
  REQUIRE(sent);
  // The test first, then e4 (both hooks) and e2, head of its run now.
  auto claimed = store.claim_due(ClaimRequest{"w", kT0 + 1min, 30s, 64, 0, {}, {}});
  REQUIRE(claimed);
  REQUIRE(claimed->size() == 4);
  CHECK((*claimed)[0].delivery.delivery_id == sent->delivery_ids[0]);
  const auto e2 = std::find_if(claimed->begin(), claimed->end(),
                               [](const ClaimedDelivery& c) { return c.event.event_id == "e2"; });
  REQUIRE(e2 != claimed->end());
  Attempt attempt;
  attempt.attempt_id = "after-migration";
  attempt.delivery_id = e2->delivery.delivery_id;
  attempt.hook_id = e2->delivery.hook_id;
  attempt.started_at = kT0 + 1min;
  attempt.status_code = 200;
  attempt.request_url = "https://example.com/hooks/1";
  attempt.request_headers = {{"webhook-id", "msg_x"}, {"Authorization", "[redacted]"}};
  attempt.response_headers = {{"Content-Type", "text/plain"}};
  attempt.response_truncated = true;
  REQUIRE(store.complete_attempt("w", settled(e2->delivery, attempt, {DeliveryStatus::succeeded, {}})));
  CHECK(store.list_attempts(AttemptFilter{attempt.delivery_id, "", 1})->front() == attempt);
  DeliveryFilter succeeded = of_hook('1');
  succeeded.status = DeliveryStatus::succeeded;
  CHECK(events_of(list(store, succeeded)) == std::vector<std::string>{"e2", "e1"});
}

}  // namespace

TEST_CASE("a SQLite store written by runhooks 0.2.0 opens, migrates and keeps its hooks and deliveries",
          "[storage][migration]") {
  TempDir dir;
  const std::string path = dir.file("runhooks-0.2.0.db");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    const int loaded = sqlite3_exec(db, fixture("runhooks-0.2.0.sqlite.sql").c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
    REQUIRE(loaded == SQLITE_OK);
  }
  REQUIRE(query_int(path, "PRAGMA user_version") == 3);
  {
    auto store = open_storage("sqlite:" + path);
    INFO((store ? std::string() : store.error().message));
    REQUIRE(store);
    check_kept(**store);
  }
  CHECK(query_int(path, "PRAGMA user_version") == 7);
  CHECK(integrity_check(path) == "ok");
  auto reopened = open_storage("sqlite:" + path);  // migrated once: opens as it is
  REQUIRE(reopened);
  check_kept(**reopened);
  check_usable(**reopened);
}

#if RUNHOOKS_TEST_POSTGRES
TEST_CASE("a PostgreSQL schema written by runhooks 0.2.0 opens, migrates and keeps its hooks and deliveries",
          "[postgres][migration]") {
  const std::string schema = unique_schema();
  const std::string uri = PostgresCluster::shared().uri(schema);
  // The dump names its schema runhooks_020: loaded under this test's own.
  std::string dump = fixture("runhooks-0.2.0.postgres.sql");
  for (auto at = dump.find("runhooks_020"); at != std::string::npos; at = dump.find("runhooks_020", at)) {
    dump.replace(at, 12, schema);
  }
  const ProcessResult loaded = run_process(
      {"/bin/sh", "-c",
       "exec \"$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql\" -X -q -v ON_ERROR_STOP=1 -d \"$1\"",
       "psql", uri.substr(0, uri.find('?'))},
      dump);
  INFO(loaded.err);
  REQUIRE(loaded.exit_code == 0);
  {
    auto store = open_storage(uri);
    INFO((store ? std::string() : store.error().message));
    REQUIRE(store);
    check_kept(**store);
  }
  auto reopened = open_storage(uri);
  REQUIRE(reopened);
  check_kept(**reopened);
  check_usable(**reopened);
}
#endif
