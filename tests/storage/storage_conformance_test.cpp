// The storage conformance suite: the same tests, unchanged, on every backend
// (support/backends.hpp). A new backend passes these before anything else.

#include <runhooks/runhooks.hpp>

#include "support/backends.hpp"
#include "support/completion.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <mutex>
#include <thread>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

namespace {

const Timestamp kT0 = Timestamp(1795759200000ms);

Webhook make_hook(const std::string& id_suffix, const std::string& project,
                  std::vector<EventType> events = {}) {
  Webhook hook;
  hook.hook_id = "00000000-0000-4000-8000-" + std::string(12 - id_suffix.size(), '0') + id_suffix;
  hook.project_id = project;
  hook.url = "https://example.com/" + id_suffix;
  hook.hook_events = std::move(events);
  hook.created_at = hook.updated_at = kT0;
  hook.secret = "whsec_secret" + id_suffix;
  return hook;
}

OutboxEvent make_event(const std::string& id, const std::string& project, EventType type,
                       const std::string& ordering_key = "", Timestamp at = kT0) {
  OutboxEvent event;
  event.event_id = id;
  event.project_id = project;
  event.type = type;
  event.payload = R"({"event":")" + std::string(to_string(type)) + R"("})";
  event.ordering_key = ordering_key;
  event.created_at = at;
  return event;
}

Attempt make_attempt(const Delivery& d, const std::string& id, int status, Timestamp at = kT0) {
  Attempt a;
  a.attempt_id = id;
  a.delivery_id = d.delivery_id;
  a.hook_id = d.hook_id;
  a.started_at = at;
  a.duration = 12ms;
  a.status_code = status;
  a.error_class = status >= 200 && status < 300 ? AttemptErrorClass::none : AttemptErrorClass::http_status;
  a.response_body = std::string("body\0with nul", 13);
  return a;
}

std::vector<ClaimedDelivery> claim(Storage& s, const std::string& owner, Timestamp now,
                                   std::size_t limit = 64, std::chrono::milliseconds lease = 30s) {
  auto claimed = s.claim_due(ClaimRequest{owner, now, lease, limit, 0, {}, {}});
  REQUIRE(claimed);
  return *claimed;
}

}  // namespace

TEMPLATE_TEST_CASE("hooks round-trip every field", "[conformance]", RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Webhook hook = make_hook("1", "p", {EventType::run_finish, EventType::run_start});
  hook.headers = R"({"X-A":"1"})";
  hook.label = "la\xc3\xa9";
  hook.enabled = false;
  hook.disabled_reason = "410 Gone";
  hook.retired_secrets = {{"whsec_old1", kT0 + 1h}, {"whsec_old2", kT0 + 2h}};
  hook.updated_at = kT0 + 123ms;
  hook.failing_since = kT0 + 7ms;
  REQUIRE(store->insert_hook(hook, 100));
  auto loaded = store->get_hook(hook.hook_id);
  REQUIRE(loaded);
  CHECK(*loaded == hook);
  CHECK(store->get_hook("00000000-0000-4000-8000-999999999999").error().code == ErrorCode::not_found);
}

TEMPLATE_TEST_CASE("hooks list per project in creation order", "[conformance]", RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  for (const char* id : {"5", "3", "9", "1"}) REQUIRE(store->insert_hook(make_hook(id, "p"), 100));
  REQUIRE(store->insert_hook(make_hook("7", "q"), 100));
  auto listed = store->list_hooks("p");
  REQUIRE(listed);
  std::vector<std::string> urls;
  for (const Webhook& h : *listed) urls.push_back(h.url);
  CHECK(urls == std::vector<std::string>{"https://example.com/5", "https://example.com/3",
                                         "https://example.com/9", "https://example.com/1"});
  CHECK(store->list_hooks("none")->empty());
}

TEMPLATE_TEST_CASE("insert refuses the cap and duplicate ids, storing nothing", "[conformance]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  REQUIRE(store->insert_hook(make_hook("1", "p"), 2));
  REQUIRE(store->insert_hook(make_hook("2", "p"), 2));
  auto capped = store->insert_hook(make_hook("3", "p"), 2);
  REQUIRE_FALSE(capped);
  CHECK(capped.error().code == ErrorCode::conflict);
  CHECK(store->get_hook(make_hook("3", "p").hook_id).error().code == ErrorCode::not_found);
  auto duplicate = store->insert_hook(make_hook("1", "q"), 100);
  REQUIRE_FALSE(duplicate);
  CHECK(duplicate.error().code == ErrorCode::conflict);
  CHECK(store->list_hooks("q")->empty());
  CHECK(store->get_hook(make_hook("1", "p").hook_id)->project_id == "p");
}

TEMPLATE_TEST_CASE("modify is all or nothing", "[conformance]", RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  const Webhook hook = make_hook("1", "p");
  REQUIRE(store->insert_hook(hook, 100));

  auto failed = store->modify_hook(hook.hook_id, [](Webhook& h) -> Result<void> {
    h.url = "https://changed.example/";
    return Error::invalid("url", "refused");
  });
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message == "refused");
  CHECK(*store->get_hook(hook.hook_id) == hook);

  auto changed = store->modify_hook(hook.hook_id, [](Webhook& h) -> Result<void> {
    h.url = "https://changed.example/";
    h.label = "l";
    h.hook_events = {EventType::run_timeout};
    return {};
  });
  REQUIRE(changed);
  CHECK(*store->get_hook(hook.hook_id) == *changed);
  CHECK(changed->url == "https://changed.example/");
  CHECK(store->modify_hook("00000000-0000-4000-8000-000000000099",
                           [](Webhook&) -> Result<void> { return {}; })
            .error().code == ErrorCode::not_found);
}

TEMPLATE_TEST_CASE("delete returns the hook and takes its deliveries", "[conformance]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  const Webhook hook = make_hook("1", "p");
  REQUIRE(store->insert_hook(hook, 100));
  REQUIRE(store->insert_hook(make_hook("2", "p"), 100));
  auto enqueued = store->enqueue(make_event("e1", "p", EventType::run_start));
  REQUIRE(enqueued);
  REQUIRE(enqueued->delivery_ids.size() == 2);
  auto deleted = store->delete_hook(hook.hook_id);
  REQUIRE(deleted);
  CHECK(*deleted == hook);
  CHECK(store->delete_hook(hook.hook_id).error().code == ErrorCode::not_found);
  auto remaining = store->list_deliveries(DeliveryFilter{"p", "", "", std::nullopt, 100, {}, {}});
  REQUIRE(remaining);
  REQUIRE(remaining->size() == 1);
  CHECK(remaining->front().hook_id == make_hook("2", "p").hook_id);
}

TEMPLATE_TEST_CASE("API keys are stored by hash", "[conformance]", RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  ApiKey scoped{"key1", std::string(64, 'a'), "ci", {"p1", "p2"}, false, true, kT0};
  ApiKey all{"key2", std::string(64, 'b'), "", {}, true, false, kT0 + 1s};
  REQUIRE(store->insert_api_key(scoped));
  REQUIRE(store->insert_api_key(all));
  CHECK(*store->find_api_key(std::string(64, 'a')) == scoped);
  CHECK(*store->find_api_key(std::string(64, 'b')) == all);
  CHECK(store->find_api_key(std::string(64, 'c')).error().code == ErrorCode::not_found);
  CHECK(store->insert_api_key(ApiKey{"key1", std::string(64, 'd'), "", {}, true, false, kT0})
            .error().code == ErrorCode::conflict);
  CHECK(store->insert_api_key(ApiKey{"key3", std::string(64, 'a'), "", {}, true, false, kT0})
            .error().code == ErrorCode::conflict);
  CHECK(*store->list_api_keys() == std::vector<ApiKey>{scoped, all});
  REQUIRE(store->delete_api_key("key1"));
  CHECK(store->delete_api_key("key1").error().code == ErrorCode::not_found);
  CHECK(store->find_api_key(std::string(64, 'a')).error().code == ErrorCode::not_found);
}

TEMPLATE_TEST_CASE("enqueue fans out to the enabled hooks that accept the event", "[conformance]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  const Webhook all = make_hook("1", "p");
  const Webhook starts = make_hook("2", "p", {EventType::run_start});
  const Webhook finishes = make_hook("3", "p", {EventType::run_finish, EventType::run_timeout});
  Webhook disabled = make_hook("4", "p");
  disabled.enabled = false;
  const Webhook elsewhere = make_hook("5", "q");
  for (const Webhook& h : {all, starts, finishes, disabled, elsewhere}) REQUIRE(store->insert_hook(h, 100));

  auto start = store->enqueue(make_event("e-start", "p", EventType::run_start));
  REQUIRE(start);
  CHECK_FALSE(start->duplicate);
  CHECK(start->event_id == "e-start");
  auto timeout = store->enqueue(make_event("e-timeout", "p", EventType::run_timeout));
  REQUIRE(timeout);
  auto canceled = store->enqueue(make_event("e-cancel", "p", EventType::run_canceled));
  REQUIRE(canceled);
  auto nobody = store->enqueue(make_event("e-none", "empty", EventType::run_start));
  REQUIRE(nobody);
  CHECK(nobody->delivery_ids.empty());

  auto hooks_of = [&](const EnqueueResult& r) {
    std::set<std::string> hooks;
    for (const auto& id : r.delivery_ids) {
      auto d = store->get_delivery(id);
      REQUIRE(d);
      CHECK(d->status == DeliveryStatus::pending);
      CHECK(d->attempt_count == 0);
      CHECK(d->next_attempt_at == kT0);
      CHECK(d->event_id == r.event_id);
      hooks.insert(d->hook_id);
    }
    return hooks;
  };
  CHECK(hooks_of(*start) == std::set<std::string>{all.hook_id, starts.hook_id});
  CHECK(hooks_of(*timeout) == std::set<std::string>{all.hook_id, finishes.hook_id});
  CHECK(hooks_of(*canceled) == std::set<std::string>{all.hook_id});

  auto event = store->get_event("e-start");
  REQUIRE(event);
  CHECK(event->payload == R"({"event":"RUN_START"})");
  CHECK(event->type == EventType::run_start);
  CHECK(event->created_at == kT0);
  CHECK(store->get_event("missing").error().code == ErrorCode::not_found);
}

TEMPLATE_TEST_CASE("an idempotency key makes enqueue happen once per project", "[conformance]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  REQUIRE(store->insert_hook(make_hook("1", "p"), 100));
  REQUIRE(store->insert_hook(make_hook("2", "q"), 100));
  OutboxEvent first = make_event("e1", "p", EventType::run_finish);
  first.idempotency_key = "run-42-finish";
  auto a = store->enqueue(first);
  REQUIRE(a);
  OutboxEvent again = make_event("e2", "p", EventType::run_finish);
  again.idempotency_key = "run-42-finish";
  auto b = store->enqueue(again);
  REQUIRE(b);
  CHECK(b->duplicate);
  CHECK(b->event_id == "e1");
  CHECK(b->delivery_ids == a->delivery_ids);
  CHECK(store->get_event("e2").error().code == ErrorCode::not_found);
  OutboxEvent other_project = make_event("e3", "q", EventType::run_finish);
  other_project.idempotency_key = "run-42-finish";
  auto c = store->enqueue(other_project);
  REQUIRE(c);
  CHECK_FALSE(c->duplicate);
  CHECK(c->delivery_ids.size() == 1);
}

TEMPLATE_TEST_CASE("an idempotency key reused for another event is a conflict that stores nothing", "[conformance]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  REQUIRE(store->insert_hook(make_hook("1", "p"), 100));
  OutboxEvent start = make_event("e1", "p", EventType::run_start);
  start.idempotency_key = "ci-step-7";
  REQUIRE(store->enqueue(start));

  OutboxEvent finish = make_event("e2", "p", EventType::run_finish);  // another type
  finish.idempotency_key = "ci-step-7";
  auto refused = store->enqueue(finish);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::conflict);
  CHECK(refused.error().field == "idempotencyKey");
  CHECK(refused.error().message.find("RUN_START") != std::string::npos);
  CHECK(store->get_event("e2").error().code == ErrorCode::not_found);

  OutboxEvent changed = make_event("e3", "p", EventType::run_start);  // the same type, another payload
  changed.payload = R"({"event":"RUN_START","runUrl":"https://elsewhere"})";
  changed.idempotency_key = "ci-step-7";
  auto also_refused = store->enqueue(changed);
  REQUIRE_FALSE(also_refused);
  CHECK(also_refused.error().message.find("another payload") != std::string::npos);

  OutboxEvent same = make_event("e4", "p", EventType::run_start);  // the same event again
  same.idempotency_key = "ci-step-7";
  auto repeated = store->enqueue(same);
  REQUIRE(repeated);
  CHECK(repeated->duplicate);
  CHECK(repeated->event_id == "e1");
  auto pending = store->list_deliveries(DeliveryFilter{"p", "", "", std::nullopt, 10, {}, {}});
  CHECK(pending->size() == 1);
}

TEMPLATE_TEST_CASE("claims lease due deliveries to one owner at a time", "[conformance]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  for (const char* id : {"1", "2", "3"}) REQUIRE(store->insert_hook(make_hook(id, "p"), 100));
  REQUIRE(store->enqueue(make_event("e1", "p", EventType::run_finish)));
  REQUIRE(store->enqueue(make_event("later", "p", EventType::run_finish, "", kT0 + 1h)));

  CHECK(claim(*store, "w1", kT0 - 1ms).empty());
  auto first = claim(*store, "w1", kT0, 2);
  REQUIRE(first.size() == 2);
  CHECK(first[0].delivery.lease_owner == "w1");
  CHECK(first[0].delivery.lease_expires_at == kT0 + 30s);
  CHECK(first[0].event.event_id == "e1");
  CHECK(first[0].event.payload == R"({"event":"RUN_FINISH"})");
  auto second = claim(*store, "w2", kT0 + 1s);
  REQUIRE(second.size() == 1);
  CHECK(second[0].delivery.delivery_id != first[0].delivery.delivery_id);
  CHECK(second[0].delivery.delivery_id != first[1].delivery.delivery_id);
  CHECK(claim(*store, "w3", kT0 + 2s).empty());

  // w1's leases expire: another worker takes them over.
  auto taken_over = claim(*store, "w3", kT0 + 31s);
  REQUIRE(taken_over.size() == 3);
  CHECK(store->get_delivery(first[0].delivery.delivery_id)->lease_owner == "w3");

  // w1 finishing late is refused and changes nothing.
  auto late = complete_attempt(*store, "w1", make_attempt(first[0].delivery, "a-late", 200),
                                      DeliveryOutcome{DeliveryStatus::succeeded, kT0});
  REQUIRE_FALSE(late);
  CHECK(late.error().code == ErrorCode::conflict);
  CHECK(store->get_delivery(first[0].delivery.delivery_id)->status == DeliveryStatus::pending);
  CHECK(store->list_attempts(AttemptFilter{first[0].delivery.delivery_id, "", 10})->empty());

  // The later event's deliveries come due at their time; by then w3's leases
  // have expired too.
  CHECK(claim(*store, "w4", kT0 + 1h - 1ms).size() == 3);
  CHECK(claim(*store, "w5", kT0 + 1h).size() == 3);
}

TEMPLATE_TEST_CASE("claims honour a per-hook limit and skip hooks", "[conformance]", RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  const std::string busy = make_hook("1", "p").hook_id;
  const std::string quiet = make_hook("2", "p").hook_id;
  REQUIRE(store->insert_hook(make_hook("1", "p"), 100));
  REQUIRE(store->insert_hook(make_hook("2", "p", {EventType::run_start}), 100));
  for (int i = 0; i < 20; ++i) {
    REQUIRE(store->enqueue(make_event("f" + std::to_string(i), "p", EventType::run_finish)));
  }
  REQUIRE(store->enqueue(make_event("s", "p", EventType::run_start)));  // to both hooks

  ClaimRequest request{"w", kT0, 30s, 10, 3, {}, {}};
  auto first = store->claim_due(request);
  REQUIRE(first);
  std::map<std::string, int> per_hook;
  for (const auto& c : *first) ++per_hook[c.delivery.hook_id];
  CHECK(per_hook[busy] == 3);
  CHECK(per_hook[quiet] == 1);  // queued behind 20 of the busy hook, still reached

  request.skip_hooks = {busy};
  CHECK(store->claim_due(request)->empty());  // the quiet hook has nothing left
  request.skip_hooks = {quiet};
  request.per_hook_limit = 0;
  auto rest = store->claim_due(request);
  REQUIRE(rest);
  CHECK(rest->size() == 10);
  for (const auto& c : *rest) CHECK(c.delivery.hook_id == busy);
}

TEMPLATE_TEST_CASE("a batch of completions applies item by item", "[conformance]", RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  REQUIRE(store->insert_hook(make_hook("1", "p"), 100));
  REQUIRE(store->enqueue(make_event("e1", "p", EventType::run_finish)));
  REQUIRE(store->enqueue(make_event("e2", "p", EventType::run_finish)));
  auto claimed = claim(*store, "w", kT0);
  REQUIRE(claimed.size() == 2);
  Attempt gone = make_attempt(claimed[0].delivery, "a0", 200);
  gone.delivery_id = "00000000-0000-4000-8000-00000000dead";
  auto results = store->complete_attempts(
      "w", {settled(claimed[0].delivery, make_attempt(claimed[0].delivery, "a1", 200), {DeliveryStatus::succeeded, {}}),
            settled(claimed[0].delivery, gone, {DeliveryStatus::succeeded, {}}),
            settled(claimed[1].delivery, make_attempt(claimed[1].delivery, "a2", 500),
                    {DeliveryStatus::pending, kT0 + 5s})});
  REQUIRE(results);
  REQUIRE(results->size() == 3);
  CHECK((*results)[0]->delivery.status == DeliveryStatus::succeeded);
  CHECK((*results)[1].error().code == ErrorCode::not_found);
  CHECK((*results)[2]->delivery.next_attempt_at == kT0 + 5s);
  CHECK(store->list_attempts(AttemptFilter{"", "", 10})->size() == 2);
}

TEMPLATE_TEST_CASE("attempts complete, retry or fail deliveries", "[conformance]", RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  REQUIRE(store->insert_hook(make_hook("1", "p"), 100));
  REQUIRE(store->enqueue(make_event("e1", "p", EventType::run_finish)));
  auto claimed = claim(*store, "w", kT0);
  REQUIRE(claimed.size() == 1);
  const Delivery d = claimed[0].delivery;

  auto retry = complete_attempt(*store, "w", make_attempt(d, "a1", 503, kT0),
                                       DeliveryOutcome{DeliveryStatus::pending, kT0 + 5s});
  REQUIRE(retry);
  CHECK(retry->status == DeliveryStatus::pending);
  CHECK(retry->attempt_count == 1);
  CHECK(retry->next_attempt_at == kT0 + 5s);
  CHECK(retry->last_error == "HTTP 503");
  CHECK(retry->lease_owner.empty());
  CHECK_FALSE(retry->lease_expires_at);
  CHECK(*store->get_delivery(d.delivery_id) == *retry);
  CHECK(claim(*store, "w", kT0 + 4s).empty());
  REQUIRE(claim(*store, "w", kT0 + 5s).size() == 1);

  auto done = complete_attempt(*store, "w", make_attempt(d, "a2", 200, kT0 + 5s),
                                      DeliveryOutcome{DeliveryStatus::succeeded, {}});
  REQUIRE(done);
  CHECK(done->status == DeliveryStatus::succeeded);
  CHECK(done->attempt_count == 2);
  CHECK(done->completed_at == kT0 + 5s + 12ms);
  CHECK(done->last_error.empty());
  CHECK(claim(*store, "w", kT0 + 1h).empty());

  auto attempts = store->list_attempts(AttemptFilter{d.delivery_id, "", 10});
  REQUIRE(attempts);
  REQUIRE(attempts->size() == 2);
  CHECK((*attempts)[0].attempt_id == "a2");  // newest first
  CHECK((*attempts)[1] == make_attempt(d, "a1", 503, kT0));
  CHECK(store->list_attempts(AttemptFilter{"", d.hook_id, 1})->size() == 1);

  auto unknown = make_attempt(d, "a3", 200);
  unknown.delivery_id = "00000000-0000-4000-8000-00000000dead";
  CHECK(complete_attempt(*store, "w", unknown, DeliveryOutcome{DeliveryStatus::succeeded, {}})
            .error().code == ErrorCode::not_found);
}

TEMPLATE_TEST_CASE("deliveries list by project, hook, event and status", "[conformance]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  const Webhook h1 = make_hook("1", "p");
  const Webhook h2 = make_hook("2", "p");
  REQUIRE(store->insert_hook(h1, 100));
  REQUIRE(store->insert_hook(h2, 100));
  REQUIRE(store->enqueue(make_event("e1", "p", EventType::run_start)));
  REQUIRE(store->enqueue(make_event("e2", "p", EventType::run_finish)));
  auto claimed = claim(*store, "w", kT0, 1);
  REQUIRE(complete_attempt(*store, "w", make_attempt(claimed[0].delivery, "a", 410),
                                  DeliveryOutcome{DeliveryStatus::failed, {}}));

  auto list = [&](DeliveryFilter f) {
    auto r = store->list_deliveries(f);
    REQUIRE(r);
    return *r;
  };
  CHECK(list({"p", "", "", std::nullopt, 100, {}, {}}).size() == 4);
  CHECK(list({"", h1.hook_id, "", std::nullopt, 100, {}, {}}).size() == 2);
  CHECK(list({"", "", "e2", std::nullopt, 100, {}, {}}).size() == 2);
  CHECK(list({"", "", "", DeliveryStatus::failed, 100, {}, {}}).size() == 1);
  CHECK(list({"", "", "", DeliveryStatus::pending, 100, {}, {}}).size() == 3);
  CHECK(list({"p", "", "", std::nullopt, 2, {}, {}}).size() == 2);
  const auto newest_first = list({"p", "", "", std::nullopt, 100, {}, {}});
  CHECK(newest_first.front().event_id == "e2");
  CHECK(newest_first.back().event_id == "e1");
  CHECK(list({"other", "", "", std::nullopt, 100, {}, {}}).empty());
}

TEMPLATE_TEST_CASE("a run's deliveries to one hook go out in order, across retries", "[conformance]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  REQUIRE(store->insert_hook(make_hook("1", "p"), 100));
  REQUIRE(store->insert_hook(make_hook("2", "p"), 100));
  auto start = store->enqueue(make_event("start", "p", EventType::run_start, "run-1"));
  auto finish = store->enqueue(make_event("finish", "p", EventType::run_finish, "run-1"));
  auto other_run = store->enqueue(make_event("other", "p", EventType::run_start, "run-2"));
  REQUIRE(start);
  REQUIRE(finish);
  REQUIRE(other_run);

  // Only the heads of each (hook, run) are due: 2 starts of run-1, 2 of run-2.
  auto first = claim(*store, "w", kT0);
  REQUIRE(first.size() == 4);
  for (const auto& c : first) CHECK(c.event.event_id != "finish");

  // RUN_START fails on hook 1 and is retried later: its finish must wait.
  auto on_hook = [&](const std::vector<ClaimedDelivery>& cs, const std::string& event,
                     const std::string& hook) {
    return *std::find_if(cs.begin(), cs.end(), [&](const ClaimedDelivery& c) {
      return c.event.event_id == event && c.delivery.hook_id == hook;
    });
  };
  const std::string h1 = make_hook("1", "p").hook_id;
  const std::string h2 = make_hook("2", "p").hook_id;
  REQUIRE(complete_attempt(*store, "w", make_attempt(on_hook(first, "start", h1).delivery, "a1", 500),
                                  DeliveryOutcome{DeliveryStatus::pending, kT0 + 5s}));
  REQUIRE(complete_attempt(*store, "w", make_attempt(on_hook(first, "start", h2).delivery, "a2", 200),
                                  DeliveryOutcome{DeliveryStatus::succeeded, {}}));
  auto second = claim(*store, "w", kT0 + 1s);
  REQUIRE(second.size() == 1);
  CHECK(second[0].event.event_id == "finish");
  CHECK(second[0].delivery.hook_id == h2);

  // Hook 1's start comes back due before its finish.
  auto third = claim(*store, "w", kT0 + 5s);
  REQUIRE(third.size() == 1);
  CHECK(third[0].event.event_id == "start");
  // Exhausted: the finish goes next.
  REQUIRE(complete_attempt(*store, "w", make_attempt(third[0].delivery, "a3", 500),
                                  DeliveryOutcome{DeliveryStatus::failed, {}}));
  auto fourth = claim(*store, "w", kT0 + 6s);
  REQUIRE(fourth.size() == 1);
  CHECK(fourth[0].event.event_id == "finish");
  CHECK(fourth[0].delivery.hook_id == h1);
}

TEMPLATE_TEST_CASE("leases can be released, deliveries rescheduled by hand", "[conformance]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  REQUIRE(store->insert_hook(make_hook("1", "p"), 100));
  REQUIRE(store->enqueue(make_event("e1", "p", EventType::run_finish)));
  CHECK(*store->next_due_at() == kT0);
  auto claimed = claim(*store, "w", kT0);
  REQUIRE(claimed.size() == 1);
  const Delivery d = claimed[0].delivery;
  CHECK(*store->next_due_at() == kT0);  // leased, but still pending

  REQUIRE(store->release_leases("someone-else", {d.delivery_id}));
  CHECK(claim(*store, "x", kT0 + 1s).empty());
  REQUIRE(store->release_leases("w", {d.delivery_id}));
  auto reclaimed = claim(*store, "x", kT0 + 1s);
  REQUIRE(reclaimed.size() == 1);
  CHECK(reclaimed[0].delivery.next_trigger == AttemptTrigger::scheduled);

  REQUIRE(complete_attempt(*store, "x", make_attempt(d, "a1", 200),
                                  DeliveryOutcome{DeliveryStatus::succeeded, {}}));
  CHECK_FALSE(*store->next_due_at());

  auto again = store->reschedule_delivery(d.delivery_id, kT0 + 1h, AttemptTrigger::manual);
  REQUIRE(again);
  CHECK(again->status == DeliveryStatus::pending);
  CHECK(again->next_trigger == AttemptTrigger::manual);
  CHECK_FALSE(again->completed_at);
  CHECK(*store->next_due_at() == kT0 + 1h);
  auto manual = claim(*store, "y", kT0 + 1h);
  REQUIRE(manual.size() == 1);
  CHECK(manual[0].delivery.next_trigger == AttemptTrigger::manual);
  CHECK(manual[0].delivery.attempt_count == 1);
  CHECK(store->reschedule_delivery("nope", kT0, AttemptTrigger::manual).error().code ==
        ErrorCode::not_found);
}

TEMPLATE_TEST_CASE("old attempts are purged", "[conformance]", RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  REQUIRE(store->insert_hook(make_hook("1", "p"), 100));
  REQUIRE(store->enqueue(make_event("e1", "p", EventType::run_finish)));
  for (int i = 0; i < 3; ++i) {
    auto claimed = claim(*store, "w", kT0 + std::chrono::hours(i));
    REQUIRE(claimed.size() == 1);
    REQUIRE(complete_attempt(*store, "w", make_attempt(claimed[0].delivery, "a" + std::to_string(i), 500, kT0 + std::chrono::hours(i)),
        DeliveryOutcome{DeliveryStatus::pending, kT0 + std::chrono::hours(i + 1)}));
  }
  auto purged = store->purge_attempts(kT0 + 2h);
  REQUIRE(purged);
  CHECK(*purged == 2);
  auto left = store->list_attempts(AttemptFilter{"", "", 10});
  REQUIRE(left);
  REQUIRE(left->size() == 1);
  CHECK(left->front().attempt_id == "a2");
}

TEMPLATE_TEST_CASE("finished events are purged with their deliveries and attempts", "[conformance]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  const std::string h1 = make_hook("1", "p").hook_id;
  const std::string h2 = make_hook("2", "p").hook_id;
  REQUIRE(store->insert_hook(make_hook("1", "p"), 100));
  REQUIRE(store->insert_hook(make_hook("2", "p"), 100));
  // Stored first, stamped far ahead (a skewed clock): it must not hold back
  // the purge of the events after it.
  REQUIRE(store->enqueue(make_event("future", "p", EventType::run_start, "", kT0 + 1000h)));
  OutboxEvent keyed = make_event("done-keyed", "p", EventType::run_finish);
  keyed.idempotency_key = "run-7-finish";
  for (const char* id : {"done", "half", "late"}) REQUIRE(store->enqueue(make_event(id, "p", EventType::run_start)));
  REQUIRE(store->enqueue(keyed));
  REQUIRE(store->enqueue(make_event("nobody", "no-hooks", EventType::run_start)));
  REQUIRE(store->enqueue(make_event("nobody-recent", "no-hooks", EventType::run_start, "", kT0 + 6h)));
  const auto claimed = claim(*store, "w", kT0);
  REQUIRE(claimed.size() == 8);
  auto delivery_of = [&](const std::string& event, const std::string& hook) {
    return std::find_if(claimed.begin(), claimed.end(), [&](const ClaimedDelivery& c) {
             return c.event.event_id == event && c.delivery.hook_id == hook;
           })->delivery;
  };
  auto finish = [&](const std::string& event, const std::string& hook, int status, Timestamp at,
                    DeliveryOutcome outcome) {
    const Delivery d = delivery_of(event, hook);
    REQUIRE(complete_attempt(*store, "w", make_attempt(d, "a-" + event + hook, status, at), outcome));
  };
  const DeliveryOutcome succeeded{DeliveryStatus::succeeded, {}}, failed{DeliveryStatus::failed, {}};
  finish("done", h1, 200, kT0 + 1h, succeeded);
  finish("done", h2, 500, kT0 + 1h, failed);
  finish("half", h1, 200, kT0 + 1h, succeeded);
  finish("half", h2, 500, kT0 + 1h, DeliveryOutcome{DeliveryStatus::pending, kT0 + 20h});
  finish("late", h1, 200, kT0 + 10h, succeeded);
  finish("late", h2, 200, kT0 + 10h, succeeded);
  finish("done-keyed", h1, 500, kT0 + 1h, failed);
  finish("done-keyed", h2, 500, kT0 + 1h, failed);

  // Made and finished before the cutoff, or made before it and received by
  // no hook; `limit` bounds each call.
  CHECK(*store->purge_events(kT0 + 5h, 1) == 1);
  CHECK(*store->purge_events(kT0 + 5h, 100) == 2);
  CHECK(*store->purge_events(kT0 + 5h, 100) == 0);
  for (const char* gone : {"done", "done-keyed", "nobody"}) {
    CHECK(store->get_event(gone).error().code == ErrorCode::not_found);
  }
  for (const char* kept : {"future", "half", "late", "nobody-recent"}) CHECK(store->get_event(kept));
  CHECK(store->get_delivery(delivery_of("done", h1).delivery_id).error().code == ErrorCode::not_found);
  CHECK(store->list_attempts(AttemptFilter{delivery_of("done", h2).delivery_id, "", 10})->empty());
  CHECK(store->list_attempts(AttemptFilter{delivery_of("late", h1).delivery_id, "", 10})->size() == 1);
  // Its idempotency key went with it: the same key stores a new event.
  OutboxEvent again = make_event("again", "p", EventType::run_finish);
  again.idempotency_key = "run-7-finish";
  auto stored = store->enqueue(again);
  REQUIRE(stored);
  CHECK_FALSE(stored->duplicate);
  CHECK(stored->event_id == "again");

  // Hook 2 deleted: "half" is left with its finished delivery and goes.
  REQUIRE(store->delete_hook(h2));
  CHECK(*store->purge_events(kT0 + 5h, 100) == 1);
  CHECK(store->get_event("half").error().code == ErrorCode::not_found);
  // Hook 1 deleted too: events with no delivery left go by their age,
  // pending or not.
  REQUIRE(store->delete_hook(h1));
  CHECK(*store->purge_events(kT0 + 5h, 100) == 2);
  for (const char* gone : {"late", "again"}) CHECK(store->get_event(gone).error().code == ErrorCode::not_found);
  for (const char* kept : {"future", "nobody-recent"}) CHECK(store->get_event(kept));
}

TEMPLATE_TEST_CASE("an event whose hooks were deleted is purged after later events took their places",
                   "[conformance]", RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  for (const char* id : {"1", "2"}) REQUIRE(store->insert_hook(make_hook(id, "p"), 100));
  REQUIRE(store->insert_hook(make_hook("3", "q"), 100));
  REQUIRE(store->enqueue(make_event("first", "p", EventType::run_start)));
  // The newest delivery goes with its hook; SQLite numbers the next one the
  // same, inside "first"'s old range.
  REQUIRE(store->delete_hook(make_hook("2", "p").hook_id));
  REQUIRE(store->enqueue(make_event("next", "q", EventType::run_start)));
  REQUIRE(store->delete_hook(make_hook("1", "p").hook_id));
  CHECK(*store->purge_events(kT0 + 1h, 100) == 1);
  CHECK(store->get_event("first").error().code == ErrorCode::not_found);
  auto next = store->list_deliveries(DeliveryFilter{"", "", "next", std::nullopt, 10, {}, {}});
  REQUIRE(next);
  CHECK(next->size() == 1);
}

TEMPLATE_TEST_CASE("concurrent creators never overshoot the cap", "[conformance][threads]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  WebhookRegistry registry(store, RegistryOptions{50, 24h, nullptr});
  std::atomic<int> created{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto r = registry.create("p", NewWebhook{"https://example.com/", {}, {}, {}});
        if (r) ++created;
        else if (r.error().code == ErrorCode::conflict) ++refused;
        else ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(created == 50);
  CHECK(refused == 30);
  CHECK(other == 0);
  CHECK(registry.list("p")->size() == 50);
}

TEMPLATE_TEST_CASE("concurrent claimers never share a delivery", "[conformance][threads]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  for (int h = 0; h < 4; ++h) REQUIRE(store->insert_hook(make_hook(std::to_string(h + 1), "p"), 100));
  for (int e = 0; e < 50; ++e) {
    REQUIRE(store->enqueue(make_event("e" + std::to_string(e), "p", EventType::run_finish)));
  }
  std::mutex mutex;
  std::vector<std::string> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string owner = "w" + std::to_string(t);
      for (;;) {
        auto claimed = store->claim_due(ClaimRequest{owner, kT0, 60s, 7, 0, {}, {}});
        if (!claimed || claimed->empty()) return;
        for (const auto& c : *claimed) {
          auto done = complete_attempt(*store, owner, make_attempt(c.delivery, "a-" + c.delivery.delivery_id, 200),
                                              DeliveryOutcome{DeliveryStatus::succeeded, {}});
          std::lock_guard lock(mutex);
          if (done) seen.push_back(c.delivery.delivery_id);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(seen.size() == 200);
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 200);
}

TEMPLATE_TEST_CASE("a claim carries a snapshot of each delivery's hook, one per hook", "[conformance]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Webhook hook = make_hook("1", "p");
  hook.headers = R"({"Authorization":"Bearer t","X-Team":"ci"})";
  hook.retired_secrets = {{"whsec_old", kT0 + 1h}, {"whsec_gone", kT0 - 1h}};
  hook.failing_since = kT0 - 5min;
  REQUIRE(store->insert_hook(hook, 100));
  REQUIRE(store->enqueue(make_event("e1", "p", EventType::run_finish)));
  REQUIRE(store->enqueue(make_event("e2", "p", EventType::run_finish)));
  auto claimed = claim(*store, "w", kT0);
  REQUIRE(claimed.size() == 2);
  const auto& endpoint = claimed[0].endpoint;
  REQUIRE(endpoint);
  CHECK(endpoint == claimed[1].endpoint);
  CHECK(endpoint->hook_id == hook.hook_id);
  CHECK(endpoint->project_id == "p");
  CHECK(endpoint->url == hook.url);
  CHECK(endpoint->headers ==
        std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer t"}, {"X-Team", "ci"}});
  CHECK(endpoint->secrets == std::vector<std::string>{hook.secret, "whsec_old"});
  CHECK(endpoint->enabled);
  CHECK(endpoint->failing_since == kT0 - 5min);
}

TEMPLATE_TEST_CASE("a completion applies its endpoint change to the hook as stored, in the same transaction",
                   "[conformance][health]", RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  const Webhook hook = make_hook("1", "p");
  REQUIRE(store->insert_hook(hook, 100));
  for (const char* id : {"e1", "e2", "e3", "e4", "e5"}) REQUIRE(store->enqueue(make_event(id, "p", EventType::run_finish)));
  auto claimed = claim(*store, "w", kT0);
  REQUIRE(claimed.size() == 5);
  const auto complete = [&](std::size_t i, EndpointChange change) {
    const Delivery& d = claimed[i].delivery;
    auto done = store->complete_attempt(
        "w", settled(d, make_attempt(d, "a" + std::to_string(i), 500), {DeliveryStatus::pending, kT0 + 1h}, change));
    REQUIRE(done);
    CHECK(done->endpoint_disabled == !done->disabled_reason.empty());
    return done->endpoint_disabled;
  };
  const auto failed_at = [](Timestamp at) { return EndpointChange{EndpointChange::Kind::failed, at, 1h}; };
  CHECK_FALSE(complete(0, failed_at(kT0)));
  CHECK(store->get_hook(hook.hook_id)->failing_since == kT0);
  CHECK_FALSE(complete(1, failed_at(kT0 + 1min)));  // failing already: the streak's start stays
  CHECK(store->get_hook(hook.hook_id)->failing_since == kT0);
  CHECK_FALSE(complete(2, failed_at(kT0 + 59min)));  // within the window
  CHECK(store->get_hook(hook.hook_id)->enabled);
  CHECK(complete(3, failed_at(kT0 + 1h)));  // the whole window: disabled
  const Webhook disabled = *store->get_hook(hook.hook_id);
  CHECK_FALSE(disabled.enabled);
  CHECK(disabled.disabled_reason == "only failed attempts since 2026-11-27T06:00:00.000Z (health window 1 h)");
  CHECK(disabled.disabled_at == kT0 + 1h);
  CHECK(disabled.updated_at == kT0 + 1h);  // the state changed
  CHECK_FALSE(disabled.failing_since);  // a fresh window once enabled again
  // Disabled already: nothing more to tell.
  CHECK_FALSE(complete(4, EndpointChange{EndpointChange::Kind::gone, kT0 + 2h, 0ms}));
  CHECK(store->get_hook(hook.hook_id)->disabled_reason == disabled.disabled_reason);
  CHECK(store->list_attempts(AttemptFilter{"", hook.hook_id, 10})->size() == 5);
}

TEMPLATE_TEST_CASE("a success clears the hook's failing state, and a lost lease changes no hook", "[conformance][health]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Webhook hook = make_hook("1", "p");
  hook.failing_since = kT0 - 1h;
  REQUIRE(store->insert_hook(hook, 100));
  REQUIRE(store->enqueue(make_event("e1", "p", EventType::run_finish)));
  REQUIRE(store->enqueue(make_event("e2", "p", EventType::run_finish)));
  auto claimed = claim(*store, "w", kT0);
  REQUIRE(claimed.size() == 2);
  const Delivery& first = claimed[0].delivery;
  // Not ours: refused, and the hook is left as it was.
  auto refused = store->complete_attempt(
      "someone-else", settled(first, make_attempt(first, "x", 410), {DeliveryStatus::failed, {}},
                              EndpointChange{EndpointChange::Kind::gone, kT0, 0ms}));
  CHECK(refused.error().code == ErrorCode::conflict);
  CHECK(store->get_hook(hook.hook_id)->enabled);
  auto done = store->complete_attempt(
      "w", settled(first, make_attempt(first, "a", 200), {DeliveryStatus::succeeded, {}},
                   EndpointChange{EndpointChange::Kind::succeeded, kT0, 0ms}));
  REQUIRE(done);
  CHECK_FALSE(done->endpoint_disabled);
  CHECK_FALSE(store->get_hook(hook.hook_id)->failing_since);
}

// ---- delivery history (issue 12) ----------------------------------------------

namespace {

std::vector<Delivery> list_all(Storage& s, DeliveryFilter filter) {
  auto listed = s.list_deliveries(filter);
  INFO((listed ? std::string() : listed.error().message));
  REQUIRE(listed);
  return *listed;
}

std::vector<std::string> ids_of(const std::vector<Delivery>& deliveries) {
  std::vector<std::string> ids;
  for (const Delivery& d : deliveries) ids.push_back(d.delivery_id);
  return ids;
}

// Every page of `filter` (its limit the page size), one after the other.
std::vector<std::string> paged(Storage& s, DeliveryFilter filter) {
  std::vector<std::string> ids;
  for (;;) {
    const auto page = list_all(s, filter);
    REQUIRE(page.size() <= filter.limit);
    for (const Delivery& d : page) ids.push_back(d.delivery_id);
    if (page.size() < filter.limit) return ids;
    filter.after_delivery_id = page.back().delivery_id;
  }
}

DeliveryFilter of_hook(const std::string& hook_id, std::size_t limit = 100) {
  DeliveryFilter f;
  f.hook_id = hook_id;
  f.limit = limit;
  return f;
}

}  // namespace

TEMPLATE_TEST_CASE("deliveries page with a cursor: no duplicates, no gaps, a stale cursor not_found",
                   "[conformance][history]", RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  const Webhook h1 = make_hook("1", "p");
  const Webhook h2 = make_hook("2", "p");
  REQUIRE(store->insert_hook(h1, 100));
  REQUIRE(store->insert_hook(h2, 100));
  for (int i = 0; i < 7; ++i) {  // the same millisecond: order is the order stored
    REQUIRE(store->enqueue(make_event("e" + std::to_string(i), "p", EventType::run_finish)));
  }
  const auto everything = ids_of(list_all(*store, DeliveryFilter{}));
  REQUIRE(everything.size() == 14);
  const auto of_h1 = ids_of(list_all(*store, of_hook(h1.hook_id)));
  REQUIRE(of_h1.size() == 7);
  CHECK(list_all(*store, of_hook(h1.hook_id)).front().event_id == "e6");  // newest first

  for (std::size_t size : {1u, 3u, 7u, 10u}) {
    CHECK(paged(*store, of_hook(h1.hook_id, size)) == of_h1);
    DeliveryFilter all;
    all.limit = size;
    CHECK(paged(*store, all) == everything);
    DeliveryFilter project;
    project.project_id = "p";
    project.limit = size;
    CHECK(paged(*store, project) == everything);
  }
  // A cursor from another listing still means "stored before that one".
  DeliveryFilter after_other = of_hook(h1.hook_id);
  after_other.after_delivery_id = list_all(*store, of_hook(h2.hook_id)).front().delivery_id;
  std::vector<std::string> expected;
  const auto cursor = std::find(everything.begin(), everything.end(), after_other.after_delivery_id);
  std::copy_if(cursor + 1, everything.end(), std::back_inserter(expected), [&](const std::string& id) {
    return std::find(of_h1.begin(), of_h1.end(), id) != of_h1.end();
  });
  CHECK(ids_of(list_all(*store, after_other)) == expected);

  // A cursor that is not stored (any more) is not_found, with or without filters.
  DeliveryFilter unknown = of_hook(h1.hook_id);
  unknown.after_delivery_id = "00000000-0000-4000-8000-00000000dead";
  CHECK(store->list_deliveries(unknown).error().code == ErrorCode::not_found);
  DeliveryFilter stale = of_hook(h2.hook_id, 2);
  stale.after_delivery_id = list_all(*store, of_hook(h2.hook_id, 2)).back().delivery_id;
  CHECK(list_all(*store, stale).size() == 2);
  REQUIRE(store->delete_hook(h2.hook_id));
  CHECK(store->list_deliveries(stale).error().code == ErrorCode::not_found);
  stale.hook_id.clear();
  CHECK(store->list_deliveries(stale).error().code == ErrorCode::not_found);
  CHECK(paged(*store, of_hook(h1.hook_id, 3)) == of_h1);
}

TEMPLATE_TEST_CASE("a hook with no deliveries lists none, and a cursor past the last delivery gives an empty page",
                   "[conformance][history]", RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  const Webhook busy = make_hook("1", "p");
  const Webhook idle = make_hook("2", "p", {EventType::run_start});
  REQUIRE(store->insert_hook(busy, 100));
  REQUIRE(store->insert_hook(idle, 100));
  for (int i = 0; i < 5; ++i) REQUIRE(store->enqueue(make_event("e" + std::to_string(i), "p", EventType::run_finish)));
  CHECK(list_all(*store, of_hook(idle.hook_id, 1)).empty());
  CHECK(list_all(*store, of_hook("00000000-0000-4000-8000-00000000beef", 1)).empty());
  DeliveryFilter past = of_hook(busy.hook_id);
  past.after_delivery_id = list_all(*store, of_hook(busy.hook_id)).back().delivery_id;
  CHECK(list_all(*store, past).empty());
  past.hook_id = idle.hook_id;  // a cursor of another hook: what the idle one has before it
  CHECK(list_all(*store, past).empty());
}

TEMPLATE_TEST_CASE("status, completion time and the cursor combine", "[conformance][history]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  const Webhook h1 = make_hook("1", "p");
  const Webhook h2 = make_hook("2", "p");
  REQUIRE(store->insert_hook(h1, 100));
  REQUIRE(store->insert_hook(h2, 100));
  for (int i = 0; i < 6; ++i) REQUIRE(store->enqueue(make_event("e" + std::to_string(i), "p", EventType::run_finish)));
  // Hook 1's deliveries: e0, e2, e4 fail for good at kT0 + 0, 2, 4 min (+12 ms);
  // e1 succeeds at kT0 + 1 min; e3 and e5 stay pending. Hook 2's all succeed.
  auto claimed = claim(*store, "w", kT0);
  REQUIRE(claimed.size() == 12);
  for (const ClaimedDelivery& c : claimed) {
    const int i = c.event.event_id[1] - '0';
    const Timestamp at = kT0 + std::chrono::minutes(i);
    const bool on_h1 = c.delivery.hook_id == h1.hook_id;
    DeliveryOutcome outcome{DeliveryStatus::succeeded, {}};
    if (on_h1 && i % 2 == 0) outcome = {DeliveryStatus::failed, {}};
    if (on_h1 && (i == 3 || i == 5)) outcome = {DeliveryStatus::pending, kT0 + 1h};
    const int status = outcome.status == DeliveryStatus::succeeded ? 200 : 500;
    REQUIRE(complete_attempt(*store, "w", make_attempt(c.delivery, "a" + std::to_string(i) + c.delivery.hook_id, status, at),
                             outcome));
  }
  const auto events_of = [](const std::vector<Delivery>& ds) {
    std::vector<std::string> events;
    for (const Delivery& d : ds) events.push_back(d.event_id);
    return events;
  };
  DeliveryFilter failed = of_hook(h1.hook_id, 2);
  failed.status = DeliveryStatus::failed;
  const auto first = list_all(*store, failed);
  CHECK(events_of(first) == std::vector<std::string>{"e4", "e2"});
  failed.after_delivery_id = first.back().delivery_id;
  CHECK(events_of(list_all(*store, failed)) == std::vector<std::string>{"e0"});
  // A cursor that is not itself among the matches: a pending delivery.
  failed.after_delivery_id = list_all(*store, of_hook(h1.hook_id)).front().delivery_id;  // e5, pending
  CHECK(events_of(list_all(*store, failed)) == std::vector<std::string>{"e4", "e2"});

  DeliveryFilter since = of_hook(h1.hook_id);
  since.completed_since = kT0 + 1min + 12ms;  // at or after: e1's completion counts
  CHECK(events_of(list_all(*store, since)) == std::vector<std::string>{"e4", "e2", "e1"});
  since.status = DeliveryStatus::failed;
  CHECK(events_of(list_all(*store, since)) == std::vector<std::string>{"e4", "e2"});
  since.limit = 1;
  since.after_delivery_id = list_all(*store, since).back().delivery_id;
  CHECK(events_of(list_all(*store, since)) == std::vector<std::string>{"e2"});
  since = DeliveryFilter{};
  since.project_id = "p";
  since.completed_since = kT0 + 4min;
  CHECK(list_all(*store, since).size() == 3);  // e4 on both hooks, e5 on hook 2
  since.completed_since = kT0 + 5min;
  CHECK(list_all(*store, since).size() == 1);  // e5 on hook 2
  since.status = DeliveryStatus::pending;  // pending ones have no completion time
  CHECK(list_all(*store, since).empty());
  since = DeliveryFilter{};
  since.event_id = "e4";
  since.completed_since = kT0 + 4min;
  since.status = DeliveryStatus::failed;
  CHECK(list_all(*store, since).size() == 1);
}

TEMPLATE_TEST_CASE("enqueue_to_hook sends to one hook whatever its state and events", "[conformance][history]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Webhook disabled = make_hook("1", "p");
  disabled.enabled = false;
  disabled.disabled_reason = "by hand";
  const Webhook starts_only = make_hook("2", "p", {EventType::run_start});
  const Webhook other = make_hook("3", "p");
  REQUIRE(store->insert_hook(disabled, 100));
  REQUIRE(store->insert_hook(starts_only, 100));
  REQUIRE(store->insert_hook(other, 100));

  auto to_disabled = store->enqueue_to_hook(make_event("t1", "p", EventType::run_finish, "", kT0 + 1s),
                                            disabled.hook_id, AttemptTrigger::test);
  REQUIRE(to_disabled);
  CHECK(to_disabled->event_id == "t1");
  CHECK_FALSE(to_disabled->duplicate);
  REQUIRE(to_disabled->delivery_ids.size() == 1);
  const Delivery d = *store->get_delivery(to_disabled->delivery_ids[0]);
  CHECK(d.hook_id == disabled.hook_id);
  CHECK(d.project_id == "p");
  CHECK(d.event_id == "t1");
  CHECK(d.status == DeliveryStatus::pending);
  CHECK(d.next_trigger == AttemptTrigger::test);
  CHECK(d.next_attempt_at == kT0 + 1s);
  CHECK(d.created_at == kT0 + 1s);
  CHECK(d.attempt_count == 0);
  CHECK(store->get_event("t1")->payload == make_event("t1", "p", EventType::run_finish).payload);

  auto unsubscribed = store->enqueue_to_hook(make_event("t2", "p", EventType::run_finish, "", kT0 + 1s),
                                             starts_only.hook_id, AttemptTrigger::manual);
  REQUIRE(unsubscribed);
  REQUIRE(unsubscribed->delivery_ids.size() == 1);
  CHECK(store->get_delivery(unsubscribed->delivery_ids[0])->next_trigger == AttemptTrigger::manual);
  CHECK(list_all(*store, of_hook(other.hook_id)).empty());  // nothing to the others
  CHECK(list_all(*store, DeliveryFilter{}).size() == 2);

  // Not due before its time; then claimed with the hook's snapshot, disabled as it is.
  CHECK(claim(*store, "w", kT0).empty());
  auto claimed = claim(*store, "w", kT0 + 1s);
  REQUIRE(claimed.size() == 2);
  CHECK(claimed[0].delivery.delivery_id == d.delivery_id);  // the test first
  CHECK(claimed[0].event.event_id == "t1");
  REQUIRE(claimed[0].endpoint);
  CHECK_FALSE(claimed[0].endpoint->enabled);
  CHECK(claimed[0].endpoint->disabled_reason == "by hand");
  // Its attempt is recorded as a test; the delivery is then done like any other.
  Attempt attempt = make_attempt(d, "ta", 200, kT0 + 1s);
  attempt.trigger = AttemptTrigger::test;
  auto done = complete_attempt(*store, "w", attempt, DeliveryOutcome{DeliveryStatus::succeeded, {}});
  REQUIRE(done);
  CHECK(done->status == DeliveryStatus::succeeded);
  CHECK(store->list_attempts(AttemptFilter{d.delivery_id, "", 10})->front().trigger == AttemptTrigger::test);
}

TEMPLATE_TEST_CASE("enqueue_to_hook refuses an unknown hook, a taken event id and keys, storing nothing",
                   "[conformance][history]", RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  const Webhook hook = make_hook("1", "p");
  REQUIRE(store->insert_hook(hook, 100));
  auto missing = store->enqueue_to_hook(make_event("t1", "p", EventType::run_finish),
                                        "00000000-0000-4000-8000-00000000dead", AttemptTrigger::test);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::not_found);
  CHECK(store->get_event("t1").error().code == ErrorCode::not_found);

  OutboxEvent keyed = make_event("t2", "p", EventType::run_finish);
  keyed.idempotency_key = "k";
  CHECK(store->enqueue_to_hook(keyed, hook.hook_id, AttemptTrigger::test).error().code ==
        ErrorCode::invalid_argument);
  CHECK(store->enqueue_to_hook(make_event("t3", "p", EventType::run_start, "run-1"), hook.hook_id,
                               AttemptTrigger::test)
            .error().code == ErrorCode::invalid_argument);

  REQUIRE(store->enqueue(make_event("e1", "p", EventType::run_finish)));
  CHECK(store->enqueue_to_hook(make_event("e1", "p", EventType::run_finish), hook.hook_id, AttemptTrigger::test)
            .error().code == ErrorCode::conflict);
  CHECK(list_all(*store, DeliveryFilter{}).size() == 1);
  CHECK(*store->count_pending() == 1);
}

TEMPLATE_TEST_CASE("a test delivery is claimed ahead of an older due backlog, its own hook's included",
                   "[conformance][history]", RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  const Webhook busy = make_hook("1", "p");
  const Webhook other = make_hook("2", "p");
  REQUIRE(store->insert_hook(busy, 100));
  REQUIRE(store->insert_hook(other, 100));
  for (int i = 0; i < 200; ++i) {  // 400 due deliveries, older than the test
    REQUIRE(store->enqueue(make_event("e" + std::to_string(i), "p", EventType::run_finish, "",
                                      kT0 + std::chrono::milliseconds(i))));
  }
  REQUIRE(store->enqueue(make_event("run", "p", EventType::run_start, "run-1", kT0)));
  auto test = store->enqueue_to_hook(make_event("t", "p", EventType::run_finish, "", kT0 + 1min),
                                     busy.hook_id, AttemptTrigger::test);
  REQUIRE(test);

  // One at a time, and with the hook's cap of one.
  auto first = claim(*store, "w", kT0 + 1min, 1);
  REQUIRE(first.size() == 1);
  CHECK(first[0].delivery.delivery_id == test->delivery_ids[0]);
  CHECK(first[0].delivery.next_trigger == AttemptTrigger::test);
  REQUIRE(store->release_leases("w", {test->delivery_ids[0]}));
  auto capped = store->claim_due(ClaimRequest{"w", kT0 + 1min, 30s, 4, 1, {}, {}});
  REQUIRE(capped);
  REQUIRE(capped->size() == 2);  // one per hook
  CHECK((*capped)[0].delivery.delivery_id == test->delivery_ids[0]);
  CHECK((*capped)[1].delivery.hook_id == other.hook_id);
  // A worker at the hook's cap takes none of it, the test included.
  REQUIRE(store->release_leases("w", {test->delivery_ids[0], (*capped)[1].delivery.delivery_id}));
  auto skipped = store->claim_due(ClaimRequest{"w", kT0 + 1min, 30s, 4, 0, {busy.hook_id}, {}});
  REQUIRE(skipped);
  for (const auto& c : *skipped) CHECK(c.delivery.hook_id == other.hook_id);

  // Once attempted, the test is done; the backlog follows in its order.
  REQUIRE(store->release_leases("w", {test->delivery_ids[0]}));
  auto again = claim(*store, "w2", kT0 + 1min, 1);
  REQUIRE(again.size() == 1);
  Attempt attempt = make_attempt(again[0].delivery, "ta", 200, kT0 + 1min);
  attempt.trigger = AttemptTrigger::test;
  REQUIRE(complete_attempt(*store, "w2", attempt, DeliveryOutcome{DeliveryStatus::succeeded, {}}));
  auto next = claim(*store, "w3", kT0 + 1min, 1);
  REQUIRE(next.size() == 1);
  CHECK(next[0].delivery.next_trigger == AttemptTrigger::scheduled);
}

TEMPLATE_TEST_CASE("a redelivery marked test is claimed first too", "[conformance][history]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  REQUIRE(store->insert_hook(make_hook("1", "p"), 100));
  for (int i = 0; i < 20; ++i) REQUIRE(store->enqueue(make_event("e" + std::to_string(i), "p", EventType::run_finish)));
  const std::string newest = list_all(*store, DeliveryFilter{}).front().delivery_id;
  REQUIRE(store->reschedule_delivery(newest, kT0, AttemptTrigger::test));
  auto first = claim(*store, "w", kT0, 1);
  REQUIRE(first.size() == 1);
  CHECK(first[0].delivery.delivery_id == newest);
}

TEMPLATE_TEST_CASE("attempts keep the request and the response headers", "[conformance][history]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  REQUIRE(store->insert_hook(make_hook("1", "p"), 100));
  REQUIRE(store->enqueue(make_event("e1", "p", EventType::run_finish)));
  auto claimed = claim(*store, "w", kT0);
  REQUIRE(claimed.size() == 1);
  const Delivery& d = claimed[0].delivery;

  Attempt full = make_attempt(d, "a1", 503, kT0);
  full.request_url = "https://example.com/hooks?a=1&b=%20\"x\"";
  full.request_headers = {{"content-type", "application/json"},
                          {"webhook-id", "msg_abc"},
                          {"Authorization", "[redacted]"},
                          {"X-Quote", "a \"b\" \\ c, d; é \xE2\x9C\x93"},
                          {"X-Empty", ""},
                          {"X-Dup", "1"},
                          {"X-Dup", "2"}};
  // As received: bytes that are not UTF-8 and a NUL survive too.
  full.response_headers = {{"Retry-After", "5"},
                           {"Content-Type", "text/plain; charset=utf-8"},
                           {"x-tab", "a\tb"},
                           {"x-bytes", std::string("\xff\xfe\0z", 4)}};
  full.response_truncated = true;
  auto retry = store->complete_attempt("w", settled(d, full, {DeliveryStatus::pending, kT0}));
  REQUIRE(retry);
  REQUIRE(claim(*store, "w", kT0 + 1s).size() == 1);
  const Attempt bare = make_attempt(d, "a2", 200, kT0 + 1s);  // e.g. no request made: all empty
  REQUIRE(store->complete_attempt("w", settled(retry->delivery, bare, {DeliveryStatus::succeeded, {}})));

  auto attempts = store->list_attempts(AttemptFilter{d.delivery_id, "", 10});
  REQUIRE(attempts);
  REQUIRE(attempts->size() == 2);
  CHECK((*attempts)[0] == bare);
  CHECK((*attempts)[0].request_headers.empty());
  CHECK_FALSE((*attempts)[0].response_truncated);
  CHECK((*attempts)[1] == full);
  CHECK((*store->list_attempts(AttemptFilter{"", d.hook_id, 10}))[1] == full);
}

TEMPLATE_TEST_CASE("count_pending counts pending deliveries, leased ones included", "[conformance][history]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  CHECK(*store->count_pending() == 0);
  REQUIRE(store->insert_hook(make_hook("1", "p"), 100));
  REQUIRE(store->insert_hook(make_hook("2", "p"), 100));
  REQUIRE(store->enqueue(make_event("e1", "p", EventType::run_finish)));
  REQUIRE(store->enqueue(make_event("e2", "p", EventType::run_finish, "", kT0 + 1h)));  // not due yet
  CHECK(*store->count_pending() == 4);
  auto claimed = claim(*store, "w", kT0);
  REQUIRE(claimed.size() == 2);
  CHECK(*store->count_pending() == 4);
  REQUIRE(complete_attempt(*store, "w", make_attempt(claimed[0].delivery, "a1", 200),
                           DeliveryOutcome{DeliveryStatus::succeeded, {}}));
  REQUIRE(complete_attempt(*store, "w", make_attempt(claimed[1].delivery, "a2", 500),
                           DeliveryOutcome{DeliveryStatus::failed, {}}));
  CHECK(*store->count_pending() == 2);
  REQUIRE(store->reschedule_delivery(claimed[1].delivery.delivery_id, kT0, AttemptTrigger::manual));
  CHECK(*store->count_pending() == 3);
  REQUIRE(store->delete_hook(claimed[1].delivery.hook_id));  // its two pending ones go
  CHECK(*store->count_pending() == 1);
}

TEMPLATE_TEST_CASE("list_project_ids lists the projects that have hooks, sorted", "[conformance][history]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  CHECK(store->list_project_ids()->empty());
  REQUIRE(store->insert_hook(make_hook("1", "zeta"), 100));
  REQUIRE(store->insert_hook(make_hook("2", "alpha"), 100));
  REQUIRE(store->insert_hook(make_hook("3", "zeta"), 100));
  REQUIRE(store->insert_hook(make_hook("4", "Mid"), 100));
  CHECK_FALSE(store->insert_hook(make_hook("5", "capped"), 0));  // refused: no project
  CHECK(*store->list_project_ids() == std::vector<std::string>{"Mid", "alpha", "zeta"});
  REQUIRE(store->delete_hook(make_hook("2", "alpha").hook_id));
  REQUIRE(store->delete_hook(make_hook("1", "zeta").hook_id));
  CHECK(*store->list_project_ids() == std::vector<std::string>{"Mid", "zeta"});
}

TEMPLATE_TEST_CASE("a claim limited to some deliveries takes those alone, by the usual rules", "[conformance]",
                   RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  REQUIRE(store->insert_hook(make_hook("1", "a"), 100));
  REQUIRE(store->insert_hook(make_hook("2", "b"), 100));
  auto older = store->enqueue(make_event("e0", "b", EventType::run_finish));  // another project's backlog
  auto first = store->enqueue(make_event("e1", "a", EventType::run_start, "run-1", kT0 + 1s));
  auto second = store->enqueue(make_event("e2", "a", EventType::run_finish, "run-1", kT0 + 2s));
  REQUIRE((older && first && second));

  ClaimRequest request{"w", kT0 + 1min, 30s, 64, 0, {}, {}};
  request.only_delivery_ids = {second->delivery_ids[0], first->delivery_ids[0], "no-such-delivery"};
  auto claimed = store->claim_due(request);
  REQUIRE(claimed);
  // The run's first event only: the second waits for it, as in any claim;
  // the other project's older delivery is not this claim's.
  REQUIRE(claimed->size() == 1);
  CHECK((*claimed)[0].delivery.delivery_id == first->delivery_ids[0]);
  CHECK((*claimed)[0].endpoint != nullptr);

  // Leased: not again until the lease runs out; nothing else is taken.
  auto again = store->claim_due(request);
  REQUIRE(again);
  CHECK(again->empty());
  REQUIRE(store->get_delivery(older->delivery_ids[0])->lease_owner.empty());

  request.only_delivery_ids = {older->delivery_ids[0]};
  request.now = kT0 - 1s;  // not due yet
  CHECK(store->claim_due(request)->empty());
}
