// PostgreSQL schema 5 (issue 15): a schema of version 4, written by runhooks
// before it (fixtures/runhooks-schema4.postgres.sql; make_schema4_store.cpp
// says how and what it holds), opens, migrates and keeps every hook,
// delivery, lease and attempt, its pending deliveries and leases moved to
// their own table; the migrated store then claims, completes, deletes and
// purges as before, the attempts of deleted deliveries going with them now
// that no foreign key cascades.

#include <runhooks/runhooks.hpp>

#include "support/completion.hpp"
#include "support/fixture_file.hpp"
#include "support/postgres_cluster.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>


using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

namespace {

const Timestamp kT0 = Timestamp(1795759200000ms);
std::string hook_id(char n) { return std::string("00000000-0000-4000-8000-00000000000") + n; }

std::string fixture(const std::string& name) { return read_fixture(__FILE__, name); }

// `sql` through psql on the test server (unaligned, tuples only); its output.
std::string psql(const std::string& uri, const std::string& sql) {
  const ProcessResult ran = run_process(
      {"/bin/sh", "-c",
       "exec \"$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql\" -X -q -A -t -v ON_ERROR_STOP=1 -d \"$1\"",
       "psql", uri.substr(0, uri.find('?'))},
      sql);
  INFO(ran.err);
  REQUIRE(ran.exit_code == 0);
  std::string out = ran.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::vector<Delivery> of_hook(Storage& store, char n) {
  DeliveryFilter filter;
  filter.hook_id = hook_id(n);
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

// What the migration itself changed: the pending set and the failed ones in
// tables of their own (filled from the deliveries), the indexes that
// depended on a delivery's status gone, the table settings, no foreign key.
void check_schema(const std::string& uri, const std::string& schema) {
  const auto sql = [&](const std::string& query) { return psql(uri, query); };
  const auto options = [&](const std::string& table) {
    return sql("SELECT array_to_string(reloptions, ' ') FROM pg_class WHERE oid = '" + schema + "." + table +
               "'::regclass");
  };
  CHECK(sql("SELECT version FROM " + schema + ".schema_version") == "5");
  CHECK(sql("SELECT string_agg(d.event_id || '/' || right(q.hook_id, 1) || '/' || q.next_trigger || '/' ||"
            " q.lease_owner, ' ' ORDER BY q.seq) FROM " + schema + ".pending_deliveries q JOIN " + schema +
            ".deliveries d ON d.seq = q.seq") == "e2/1/0/ e2/2/0/ e3/3/0/ t1/2/2/w2");
  CHECK(sql("SELECT string_agg(d.event_id || '/' || right(f.hook_id, 1), ' ') FROM " + schema +
            ".failed_deliveries f JOIN " + schema + ".deliveries d ON d.seq = f.seq") == "e1/2");
  CHECK(sql("SELECT string_agg(indexname, ' ' ORDER BY indexname) FROM pg_indexes WHERE schemaname = '" + schema +
            "' AND tablename = 'deliveries'") ==
        "deliveries_by_event deliveries_by_hook deliveries_delivery_id_key deliveries_pkey");
  CHECK(sql("SELECT indexdef LIKE '%(hook_id, seq)' FROM pg_indexes WHERE schemaname = '" + schema +
            "' AND indexname = 'deliveries_by_hook'") == "t");
  CHECK(sql("SELECT count(*) FROM information_schema.columns WHERE table_schema = '" + schema +
            "' AND table_name = 'deliveries' AND column_name LIKE 'lease%'") == "0");
  const std::string deliveries = options("deliveries");
  CHECK_THAT(deliveries, Catch::Contains("fillfactor=50"));
  CHECK_THAT(deliveries, Catch::Contains("autovacuum_analyze_threshold=100000"));
  CHECK_THAT(deliveries, !Catch::Contains("autovacuum_analyze_scale_factor"));
  CHECK_THAT(deliveries, Catch::Contains("autovacuum_vacuum_threshold=2000"));  // schema 1's, kept
  CHECK_THAT(options("pending_deliveries"), Catch::Contains("fillfactor=50"));
  CHECK(options("attempts") == "autovacuum_analyze_threshold=100000");
  CHECK(sql("SELECT count(*) FROM pg_constraint WHERE conrelid = '" + schema + ".attempts'::regclass AND contype = 'f'") ==
        "0");
}

// Everything make_schema4_store.cpp wrote, read back through this version.
void check_kept(Storage& store) {
  const auto h1 = store.get_hook(hook_id('1'));
  REQUIRE(h1);
  CHECK(h1->headers == R"({"Authorization":"Bearer receiver-token","X-Team":"ci"})");
  CHECK(h1->label == "main");
  REQUIRE(h1->retired_secrets.size() == 1);
  CHECK(h1->retired_secrets[0].expires_at == kT0 + 24h);
  CHECK(store.get_hook(hook_id('3'))->failing_since == kT0);

  const auto on_h1 = of_hook(store, '1');
  CHECK(events_of(on_h1) == std::vector<std::string>{"e2", "e1"});
  REQUIRE(on_h1.size() == 2);
  CHECK(on_h1[0].status == DeliveryStatus::pending);
  CHECK(on_h1[0].attempt_count == 0);
  CHECK(on_h1[1].status == DeliveryStatus::succeeded);
  CHECK(on_h1[1].completed_at == kT0 + 1s + 25ms);

  const auto on_h2 = of_hook(store, '2');
  CHECK(events_of(on_h2) == std::vector<std::string>{"t1", "e2", "e1"});
  REQUIRE(on_h2.size() == 3);
  CHECK(on_h2[0].next_trigger == AttemptTrigger::test);
  CHECK(on_h2[0].lease_owner == "w2");  // a lease taken before the migration holds
  CHECK(on_h2[0].lease_expires_at == kT0 + 65s);
  CHECK(on_h2[2].status == DeliveryStatus::failed);
  CHECK(on_h2[2].last_error == "HTTP 410");

  const auto on_h3 = of_hook(store, '3');
  REQUIRE(on_h3.size() == 1);
  CHECK(on_h3[0].status == DeliveryStatus::pending);
  CHECK(on_h3[0].attempt_count == 1);
  CHECK(on_h3[0].next_attempt_at == kT0 + 2s);
  CHECK(on_h3[0].last_error == "HTTP 503");
  CHECK(*store.count_pending() == 4);

  const auto a1 = store.list_attempts(AttemptFilter{on_h1[1].delivery_id, "", 10});
  REQUIRE(a1);
  REQUIRE(a1->size() == 1);
  CHECK(a1->front().attempt_id == "a1");
  CHECK(a1->front().request_headers == HeaderList{{"webhook-id", on_h1[1].delivery_id}, {"Authorization", "[redacted]"}});
  CHECK(a1->front().response_headers == HeaderList{{"Content-Type", "text/plain"}});
  CHECK(a1->front().response_truncated);
  CHECK(store.list_attempts(AttemptFilter{"", "", 100})->size() == 3);
}

// The migrated store at work, up to deleting a hook and purging.
void check_usable(Storage& store, const std::string& uri, const std::string& schema) {
  // t1 is still w2's: the others come, in due order.
  auto claimed = store.claim_due(ClaimRequest{"w3", kT0 + 10s, 5min, 64, 0, {}, {}});
  REQUIRE(claimed);
  std::vector<std::string> events;
  for (const ClaimedDelivery& c : *claimed) events.push_back(c.event.event_id + "/" + c.delivery.hook_id.substr(35));
  CHECK(events == std::vector<std::string>{"e2/1", "e2/2", "e3/3"});
  // Once w2's lease has run out, t1 goes to another worker.
  auto taken_over = store.claim_due(ClaimRequest{"w4", kT0 + 65s, 60s, 64, 0, {}, {}});
  REQUIRE(taken_over);
  REQUIRE(taken_over->size() == 1);
  CHECK(taken_over->front().event.event_id == "t1");

  const Delivery& e2 = (*claimed)[0].delivery;
  Attempt attempt;
  attempt.attempt_id = "after-migration";
  attempt.delivery_id = e2.delivery_id;
  attempt.hook_id = e2.hook_id;
  attempt.started_at = kT0 + 11s;
  attempt.status_code = 200;
  attempt.request_url = "https://example.com/hooks/1";
  attempt.request_headers = {{"webhook-id", "msg_x"}};
  attempt.response_body = std::string("\0\xff", 2);
  CHECK_FALSE(store.complete_attempt("w4", settled(e2, attempt, {DeliveryStatus::succeeded, {}})));  // not its lease
  REQUIRE(store.complete_attempt("w3", settled(e2, attempt, {DeliveryStatus::succeeded, {}})));
  CHECK(store.list_attempts(AttemptFilter{e2.delivery_id, "", 1})->front() == attempt);
  CHECK(store.get_delivery(e2.delivery_id)->status == DeliveryStatus::succeeded);

  // Deleting h2 takes its deliveries' attempts too; purging e1 takes a1.
  const std::string orphans = "SELECT count(*) FROM " + schema + ".attempts a WHERE NOT EXISTS (SELECT 1 FROM " +
                              schema + ".deliveries d WHERE d.delivery_id = a.delivery_id)";
  REQUIRE(store.delete_hook(hook_id('2')));
  CHECK(store.list_attempts(AttemptFilter{"", hook_id('2'), 100})->empty());
  CHECK(psql(uri, orphans) == "0");
  const auto purged = store.purge_events(kT0 + 1h, 100);
  REQUIRE(purged);
  CHECK(*purged == 3);  // e1 and e2, each finished on h1 (h2's are gone), and t1, whose delivery went with h2
  CHECK_FALSE(store.get_event("e1"));
  CHECK(store.list_attempts(AttemptFilter{"", hook_id('1'), 100})->empty());
  CHECK(psql(uri, orphans) == "0");
}

}  // namespace

TEST_CASE("a PostgreSQL schema of version 4 migrates to 5 and keeps its deliveries, leases and attempts",
          "[postgres][migration]") {
  const std::string schema = unique_schema();
  const std::string uri = PostgresCluster::shared().uri(schema);
  // The dump names its schema runhooks_s4: loaded under this test's own.
  std::string dump = fixture("runhooks-schema4.postgres.sql");
  for (auto at = dump.find("runhooks_s4"); at != std::string::npos; at = dump.find("runhooks_s4", at)) {
    dump.replace(at, 11, schema);
  }
  (void)psql(uri, dump);
  REQUIRE(psql(uri, "SELECT version FROM " + schema + ".schema_version") == "4");
  {
    auto store = open_storage(uri);
    INFO((store ? std::string() : store.error().message));
    REQUIRE(store);
    check_schema(uri, schema);
    check_kept(**store);
  }
  auto reopened = open_storage(uri);  // migrated once: opens as it is
  REQUIRE(reopened);
  check_schema(uri, schema);
  check_kept(**reopened);
  check_usable(**reopened, uri, schema);
}
