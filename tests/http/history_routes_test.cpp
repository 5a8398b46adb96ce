// Delivery history and the actions on it through HttpApi::handle, with a
// real worker sending to a real receiver on loopback: pages, one delivery,
// its attempts, redeliver, test sends, recover, /me, /projects, /metrics,
// /healthz, /v1, and the refusals (scope, read-only, bad parameters).

#include <runhooks/runhooks.hpp>

#include "support/api_fixture.hpp"
#include "support/notifier_fixture.hpp"
#include "support/test_receiver.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <atomic>
#include <set>

using namespace runhooks;
using namespace runhooks::test;

namespace {

using Json = rapidjson::Document;

std::string str(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

// An API over a store, with a Publisher to notify through and a worker that
// sends to loopback (started on demand, so a test can fill the outbox first).
struct HistoryFixture {
  explicit HistoryFixture(HttpApiOptions options = {}) : api(with_worker_hooks(std::move(options))) {}

  HttpApiOptions with_worker_hooks(HttpApiOptions options) {
    options.worker_stats = [this] { return worker ? worker->stats() : WorkerStats{}; };
    options.on_stored = [this] {
      if (worker) worker->wake();
    };
    return options;
  }

  void start_worker(WorkerOptions options = NotifierFixture::options()) {
    worker = std::make_unique<Worker>(api.store, std::move(options));
  }

  void flush() { REQUIRE(worker->flush(std::chrono::seconds(10)) == FlushResult::idle); }

  std::string hook(const std::string& url, const std::string& project = "proj_a",
                   const std::string& body_extra = "") {
    auto r = api.call("POST", "/webhooks?projectId=" + project, api.all,
                      R"({"url":")" + url + R"(")" + body_extra + "}");
    REQUIRE(r.status == 201);
    return str(ApiFixture::json(r)["data"]["hookId"]);
  }

  std::vector<std::string> notify(int count, const std::string& project = "proj_a") {
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) {
      auto receipt = publisher.notify(project, sample_run(EventType::run_finish, "run-" + std::to_string(i)));
      REQUIRE(receipt);
      for (auto& id : receipt->delivery_ids) ids.push_back(id);
    }
    return ids;
  }

  ApiFixture api;
  Publisher publisher{api.store};
  std::unique_ptr<Worker> worker;
};

}  // namespace

TEST_CASE("a hook's deliveries come newest first in pages joined by nextCursor", "[http][history]") {
  HistoryFixture f;
  const std::string hook = f.hook("https://example.com/a");
  f.hook("https://example.com/b");  // its deliveries are not this hook's
  const auto ids = f.notify(7);
  std::vector<std::string> mine;
  for (std::size_t i = 0; i < ids.size(); i += 2) mine.push_back(ids[i]);  // a then b, per event
  REQUIRE(mine.size() == 7);

  std::vector<std::string> listed;
  std::string target = "/webhooks/" + hook + "/deliveries?limit=3";
  int pages = 0;
  for (;;) {
    auto r = f.api.call("GET", target, f.api.ro);
    REQUIRE(r.status == 200);
    auto doc = ApiFixture::json(r);
    ++pages;
    for (const auto& d : doc["data"].GetArray()) {
      CHECK(str(d["hookId"]) == hook);
      CHECK(str(d["event"]) == "RUN_FINISH");
      CHECK(str(d["status"]) == "pending");
      CHECK(str(d["webhookId"]) == "msg_" + str(d["deliveryId"]));
      CHECK_FALSE(d.HasMember("payload"));  // lists leave it out
      listed.push_back(str(d["deliveryId"]));
    }
    if (doc["nextCursor"].IsNull()) break;
    target = "/webhooks/" + hook + "/deliveries?limit=3&cursor=" + str(doc["nextCursor"]);
  }
  CHECK(pages == 3);
  CHECK(listed == std::vector<std::string>(mine.rbegin(), mine.rend()));

  // The default page is 50; a page that is exactly full says there is no more
  // only when the next one would be empty.
  auto all = ApiFixture::json(f.api.call("GET", "/webhooks/" + hook + "/deliveries", f.api.ro));
  CHECK(all["data"].Size() == 7);
  CHECK(all["nextCursor"].IsNull());
  auto exact = ApiFixture::json(f.api.call("GET", "/v1/webhooks/" + hook + "/deliveries?limit=7", f.api.ro));
  CHECK(exact["data"].Size() == 7);
  CHECK(exact["nextCursor"].IsNull());
}

TEST_CASE("deliveries filter by status, and bad parameters are 400 naming them", "[http][history]") {
  HistoryFixture f;
  TestReceiver gone([](const ReceivedRequest&) { return Reply::status_only(410); });
  const std::string hook = f.hook(gone.url());
  f.notify(2);
  f.start_worker();
  f.flush();
  auto failed = ApiFixture::json(f.api.call("GET", "/webhooks/" + hook + "/deliveries?status=failed", f.api.rw));
  CHECK(failed["data"].Size() == 2);
  CHECK(ApiFixture::json(f.api.call("GET", "/webhooks/" + hook + "/deliveries?status=succeeded", f.api.rw))["data"]
            .Size() == 0);

  const std::string base = "/webhooks/" + hook + "/deliveries?";
  CHECK(ApiFixture::error_of(f.api.call("GET", base + "status=done", f.api.rw)) ==
        "status must be pending, succeeded or failed");
  for (const char* limit : {"0", "251", "abc", "-1", "1e3", ""}) {
    auto r = f.api.call("GET", base + "limit=" + limit, f.api.rw);
    CHECK(r.status == 400);
    CHECK(ApiFixture::error_of(r) == "limit must be a whole number from 1 to 250");
  }
  CHECK(f.api.call("GET", base + "cursor=garbage", f.api.rw).status == 400);
  auto stale = f.api.call("GET", base + "cursor=00000000-0000-7000-8000-000000000000", f.api.rw);
  CHECK(stale.status == 400);
  CHECK(ApiFixture::error_of(stale).find("no longer stored") != std::string::npos);
  CHECK(f.api.call("POST", base, f.api.rw).status == 405);
}

TEST_CASE("a delivery and its attempts show what was sent and what came back", "[http][history]") {
  HistoryFixture f;
  std::atomic<int> calls{0};
  TestReceiver receiver([&](const ReceivedRequest&) {
    Reply reply = Reply::status_only(++calls == 1 ? 500 : 200);
    reply.headers = {{"X-Receiver", "seen"}};
    reply.body = calls == 1 ? "try later" : "thanks";
    return reply;
  });
  const std::string hook =
      f.hook(receiver.url(), "proj_a", R"(,"headers":"{\"Authorization\":\"Bearer receiver-secret\"}")");
  const auto ids = f.notify(1);
  f.start_worker();
  f.flush();
  REQUIRE(receiver.count() == 2);

  auto delivery = ApiFixture::json(f.api.call("GET", "/deliveries/" + ids[0], f.api.ro));
  const auto& d = delivery["data"];
  CHECK(str(d["status"]) == "succeeded");
  CHECK(d["attempts"].GetInt() == 2);
  CHECK(d["nextAttemptAt"].IsNull());
  CHECK_FALSE(d["completedAt"].IsNull());
  CHECK(str(d["payload"]["event"]) == "RUN_FINISH");  // an object, not a string
  CHECK(str(d["payload"]["runUrl"]) == "https://app.example.com/run/run-0");

  auto attempts = ApiFixture::json(f.api.call("GET", "/deliveries/" + ids[0] + "/attempts", f.api.ro));
  REQUIRE(attempts["data"].Size() == 2);
  const auto& latest = attempts["data"][0];
  const auto& first = attempts["data"][1];
  CHECK(str(latest["outcome"]) == "succeeded");
  CHECK(latest["statusCode"].GetInt() == 200);
  CHECK(str(latest["trigger"]) == "scheduled");
  CHECK(str(first["outcome"]) == "http_status");
  CHECK(first["statusCode"].GetInt() == 500);
  CHECK(str(first["response"]["body"]) == "try later");
  CHECK(str(latest["response"]["headers"]["X-Receiver"]) == "seen");
  CHECK(latest["response"]["truncated"].GetBool() == false);
  const auto& request = latest["request"];
  CHECK(str(request["url"]) == receiver.url());
  CHECK(str(request["headers"]["Authorization"]) == "[redacted]");
  CHECK(str(request["headers"]["webhook-id"]) == "msg_" + ids[0]);
  CHECK(str(request["headers"]["webhook-signature"]).rfind("v1,", 0) == 0);
  CHECK(str(request["body"]) == receiver.requests()[1].body);
  // What the receiver got was the real credential; only the record hides it.
  CHECK(receiver.requests()[1].header("authorization") == "Bearer receiver-secret");
  CHECK(f.api.call("GET", "/deliveries/" + ids[0] + "/attempts?limit=0", f.api.ro).status == 400);
}

TEST_CASE("deliveries of another project are 404, and read-only keys read but do not act", "[http][history]") {
  HistoryFixture f;
  const std::string hook_b = f.hook("https://example.com/b", "proj_b");
  const auto ids = f.notify(1, "proj_b");
  const std::string delivery = "/deliveries/" + ids[0];
  for (const std::string& target : {delivery, delivery + "/attempts", "/webhooks/" + hook_b + "/deliveries"}) {
    CHECK(f.api.call("GET", target, f.api.rw).status == 404);
    CHECK(f.api.call("GET", target, f.api.other).status == 200);
  }
  CHECK(f.api.call("POST", delivery + "/redeliver", f.api.rw).status == 404);
  CHECK(f.api.call("POST", "/webhooks/" + hook_b + "/test", f.api.rw).status == 404);

  const std::string hook_a = f.hook("https://example.com/a");
  const auto mine = f.notify(1);
  CHECK(f.api.call("POST", "/deliveries/" + mine[0] + "/redeliver", f.api.ro).status == 403);
  CHECK(f.api.call("POST", "/webhooks/" + hook_a + "/test", f.api.ro).status == 403);
  CHECK(f.api.call("POST", "/webhooks/" + hook_a + "/recover", f.api.ro, R"({"since":"2026-01-01T00:00:00Z"})")
            .status == 403);
  CHECK(f.api.call("GET", "/deliveries/not-a-uuid", f.api.rw).status == 400);
  CHECK(f.api.call("GET", "/deliveries/00000000-0000-7000-8000-000000000000", f.api.rw).status == 404);
  CHECK(f.api.call("GET", "/deliveries/" + mine[0] + "/other", f.api.rw).status == 404);
  CHECK(f.api.call("DELETE", "/deliveries/" + mine[0], f.api.rw).status == 405);
}

TEST_CASE("redeliver sends again with the same webhook-id, but not to a disabled hook", "[http][history]") {
  HistoryFixture f;
  TestReceiver receiver;
  const std::string hook = f.hook(receiver.url());
  const auto ids = f.notify(1);
  f.start_worker();
  f.flush();
  auto again = f.api.call("POST", "/deliveries/" + ids[0] + "/redeliver", f.api.rw);
  REQUIRE(again.status == 202);
  CHECK(str(ApiFixture::json(again)["data"]["status"]) == "pending");
  f.flush();
  REQUIRE(receiver.count() == 2);
  CHECK(receiver.requests()[1].header("webhook-id") == receiver.requests()[0].header("webhook-id"));
  auto attempts = ApiFixture::json(f.api.call("GET", "/deliveries/" + ids[0] + "/attempts", f.api.rw));
  CHECK(str(attempts["data"][0]["trigger"]) == "manual");

  REQUIRE(f.api.call("PUT", "/webhooks/" + hook, f.api.rw, R"({"enabled":false})").status == 200);
  auto refused = f.api.call("POST", "/deliveries/" + ids[0] + "/redeliver", f.api.rw);
  CHECK(refused.status == 409);
  CHECK(ApiFixture::error_of(refused) == "hook is disabled: enable it first");
  CHECK(f.api.call("POST", "/deliveries/" + ids[0] + "/redeliver", f.api.rw, "x=1", "text/plain").status == 415);
}

TEST_CASE("a test send reaches one hook whatever its events and state, and waits for its outcome",
          "[http][history]") {
  HistoryFixture f;
  TestReceiver receiver;
  const std::string hook = f.hook(receiver.url(), "proj_a", R"(,"hookEvents":["RUN_START"])");
  f.hook("https://example.com/other");  // gets nothing
  REQUIRE(f.api.call("PUT", "/webhooks/" + hook, f.api.rw, R"({"enabled":false,"disabledReason":"checking"})")
              .status == 200);
  f.start_worker();

  auto sent = f.api.call("POST", "/webhooks/" + hook + "/test?wait=10", f.api.rw, R"({"event":"RUN_FINISH"})");
  REQUIRE(sent.status == 200);
  auto doc = ApiFixture::json(sent);
  CHECK(str(doc["data"]["attempt"]["outcome"]) == "succeeded");
  CHECK(str(doc["data"]["attempt"]["trigger"]) == "test");
  REQUIRE(receiver.count() == 1);
  CHECK(receiver.requests()[0].body.find("\"event\":\"RUN_FINISH\"") != std::string::npos);
  CHECK(receiver.requests()[0].body.find("runhooks-test") != std::string::npos);
  CHECK(str(doc["data"]["attempt"]["request"]["body"]) == receiver.requests()[0].body);

  auto state = ApiFixture::json(f.api.call("GET", "/webhooks/" + hook, f.api.rw));
  CHECK(state["data"]["enabled"].GetBool() == false);  // a test send changes nothing of the hook
  CHECK(str(state["data"]["disabledReason"]) == "checking");

  // Without ?wait: 202 at once with the ids; the body is optional.
  auto queued = f.api.call("POST", "/webhooks/" + hook + "/test", f.api.rw, "", "");
  REQUIRE(queued.status == 202);
  CHECK_FALSE(ApiFixture::json(queued)["data"].HasMember("attempt"));
  f.flush();
  CHECK(receiver.count() == 2);

  CHECK(ApiFixture::error_of(f.api.call("POST", "/webhooks/" + hook + "/test", f.api.rw, R"({"event":"RUN_X"})")) ==
        "Invalid request body: event must be one of RUN_START, RUN_FINISH, RUN_TIMEOUT, RUN_CANCELED");
  CHECK(f.api.call("POST", "/webhooks/" + hook + "/test?wait=31", f.api.rw).status == 400);
  CHECK(f.api.call("POST", "/webhooks/" + hook + "/test", f.api.rw, "{}", "text/plain").status == 415);
}

TEST_CASE("test sends that would wait past the cap are 429, and store nothing", "[http][history]") {
  HttpApiOptions options;
  options.max_waiting_tests = 0;
  HistoryFixture f(options);
  const std::string hook = f.hook("https://example.com/a");
  auto busy = f.api.call("POST", "/webhooks/" + hook + "/test?wait=5", f.api.rw);
  CHECK(busy.status == 429);
  CHECK(std::find(busy.headers.begin(), busy.headers.end(), std::pair<std::string, std::string>("Retry-After", "1")) !=
        busy.headers.end());
  CHECK(ApiFixture::json(f.api.call("GET", "/webhooks/" + hook + "/deliveries", f.api.rw))["data"].Size() == 0);
  CHECK(f.api.call("POST", "/webhooks/" + hook + "/test", f.api.rw).status == 202);  // no wait: no cap
}

TEST_CASE("recover re-queues what failed for good since a time, once the receiver is back", "[http][history]") {
  HistoryFixture f;
  std::atomic<bool> down{true};
  TestReceiver receiver([&](const ReceivedRequest&) { return Reply::status_only(down ? 503 : 200); });
  const std::string hook = f.hook(receiver.url());
  WorkerOptions options = NotifierFixture::options();
  options.retry.schedule = {};  // one attempt: failed for good at once
  const auto before = format_iso8601(Clock::system().now() - std::chrono::seconds(1));
  f.notify(3);
  f.start_worker(options);
  REQUIRE(f.api.call("POST", "/webhooks/" + hook + "/test", f.api.rw).status == 202);  // fails too
  f.flush();
  CHECK(ApiFixture::json(f.api.call("GET", "/webhooks/" + hook + "/deliveries?status=failed", f.api.rw))["data"]
            .Size() == 4);

  down = false;
  const std::string target = "/webhooks/" + hook + "/recover";
  auto future = f.api.call("POST", target, f.api.rw, R"({"since":"2999-01-01T00:00:00Z"})");
  REQUIRE(future.status == 202);
  CHECK(ApiFixture::json(future)["data"]["count"].GetInt() == 0);
  auto recovered = f.api.call("POST", target, f.api.rw, R"({"since":")" + before + R"("})");
  REQUIRE(recovered.status == 202);
  CHECK(ApiFixture::json(recovered)["data"]["count"].GetInt() == 3);  // not the test send
  f.flush();
  CHECK(ApiFixture::json(f.api.call("GET", "/webhooks/" + hook + "/deliveries?status=succeeded", f.api.rw))["data"]
            .Size() == 3);

  CHECK(ApiFixture::error_of(f.api.call("POST", target, f.api.rw, R"({"since":"yesterday"})")) ==
        "Invalid request body: since must be an ISO-8601 date-time such as 2026-11-27T06:00:00Z");
  CHECK(f.api.call("POST", target, f.api.rw, "{}").status == 400);
  CHECK(f.api.call("POST", target, f.api.rw, "").status == 400);
  CHECK(f.api.call("POST", target, f.api.rw, R"({"since":"2026-01-01T00:00:00Z"})", "").status == 415);
  REQUIRE(f.api.call("PUT", "/webhooks/" + hook, f.api.rw, R"({"enabled":false})").status == 200);
  CHECK(f.api.call("POST", target, f.api.rw, R"({"since":"2026-01-01T00:00:00Z"})").status == 409);
}

TEST_CASE("hook lists carry each hook's last delivery", "[http][history]") {
  HistoryFixture f;
  const std::string quiet = f.hook("https://example.com/quiet", "proj_a", R"(,"hookEvents":["RUN_START"])");
  const std::string busy = f.hook("https://example.com/busy");
  const auto ids = f.notify(2);
  auto list = ApiFixture::json(f.api.call("GET", "/webhooks?projectId=proj_a", f.api.ro));
  REQUIRE(list["data"].Size() == 2);
  for (const auto& hook : list["data"].GetArray()) {
    if (str(hook["hookId"]) == quiet) {
      CHECK(hook["lastDelivery"].IsNull());
    } else {
      CHECK(str(hook["lastDelivery"]["deliveryId"]) == ids[1]);
      CHECK(str(hook["lastDelivery"]["status"]) == "pending");
      CHECK(hook["lastDelivery"]["at"].IsString());
    }
  }
}

TEST_CASE("/me and /projects tell a key what it may see", "[http][history]") {
  HistoryFixture f;
  f.hook("https://example.com/a", "proj_a");
  f.hook("https://example.com/c", "proj_c");
  auto me = ApiFixture::json(f.api.call("GET", "/me", f.api.ro));
  CHECK(me["data"]["readOnly"].GetBool());
  CHECK_FALSE(me["data"]["allProjects"].GetBool());
  CHECK(str(me["data"]["projects"][0]) == "proj_a");
  CHECK(str(me["data"]["label"]) == "ro");
  CHECK(me["data"]["keyId"].IsString());
  CHECK(ApiFixture::json(f.api.call("GET", "/v1/me", f.api.all))["data"]["projects"].IsNull());

  auto all = ApiFixture::json(f.api.call("GET", "/projects", f.api.all));
  REQUIRE(all["data"].Size() == 2);
  CHECK(str(all["data"][0]["projectId"]) == "proj_a");
  CHECK(str(all["data"][1]["projectId"]) == "proj_c");
  auto scoped = ApiFixture::json(f.api.call("GET", "/projects", f.api.other));
  REQUIRE(scoped["data"].Size() == 1);
  CHECK(str(scoped["data"][0]["projectId"]) == "proj_b");  // its own, even with no hook yet
  CHECK(f.api.call("POST", "/me", f.api.all).status == 405);
  CHECK(f.api.call("GET", "/me/x", f.api.all).status == 404);
}

TEST_CASE("a missing or unknown key is 401 with WWW-Authenticate, and /v1 serves every route", "[http][history]") {
  HistoryFixture f;
  for (const char* target : {"/me", "/v1/webhooks?projectId=proj_a", "/deliveries/x", "/metrics"}) {
    for (const std::string& key : {std::string(), std::string("rhk_unknown")}) {
      auto r = f.api.call("GET", target, key);
      CHECK(r.status == 401);
      CHECK(std::find(r.headers.begin(), r.headers.end(),
                      std::pair<std::string, std::string>("WWW-Authenticate", "Bearer realm=\"runhooks\"")) !=
            r.headers.end());
    }
  }
  CHECK(f.api.call("GET", "/v1/openapi.json", "").status == 200);
  CHECK(f.api.call("GET", "/v1/healthz", "").status == 200);
  CHECK(f.api.call("GET", "/v2/me", f.api.all).status == 404);
}

namespace {

// A store whose reads fail, as a database that went away.
class UnreachableStorage : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  Result<std::optional<Timestamp>> next_due_at() override { return Error{ErrorCode::unavailable, {}, "database gone"}; }
};

}  // namespace

TEST_CASE("/healthz answers 200 when storage answers, 503 when it does not", "[http][history]") {
  HistoryFixture f;
  auto ok = f.api.call("GET", "/healthz", "");
  CHECK(ok.status == 200);
  CHECK(ok.body == R"({"status":"OK"})");
  HttpApi down(std::make_shared<UnreachableStorage>(f.api.store));
  ApiRequest request;
  request.method = "GET";
  request.path = "/healthz";
  CHECK(down.handle(request).status == 503);
}

TEST_CASE("/metrics is Prometheus text for a key of every project, 403 for a project's key", "[http][history]") {
  HistoryFixture f;
  TestReceiver receiver;
  f.hook(receiver.url());
  f.notify(2);
  auto before = f.api.call("GET", "/metrics", f.api.all);
  REQUIRE(before.status == 200);
  CHECK(before.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(before.body.find("runhooks_deliveries_pending 2\n") != std::string::npos);
  f.start_worker();
  f.flush();
  auto after = f.api.call("GET", "/metrics", f.api.all);
  CHECK(after.body.find("runhooks_deliveries_pending 0\n") != std::string::npos);
  CHECK(after.body.find("runhooks_attempts_total{outcome=\"succeeded\"} 2\n") != std::string::npos);
  CHECK(after.body.find("runhooks_attempt_duration_seconds_count 2\n") != std::string::npos);
  CHECK(after.body.find("# TYPE runhooks_attempt_duration_seconds histogram\n") != std::string::npos);
  CHECK(after.body.find("runhooks_attempt_duration_seconds_bucket{le=\"+Inf\"} 2\n") != std::string::npos);
  auto refused = f.api.call("GET", "/metrics", f.api.rw);
  CHECK(refused.status == 403);
  CHECK(ApiFixture::error_of(refused) == "Forbidden: /metrics needs a key for all projects");
}

TEST_CASE("the OpenAPI document describes every route HttpApi serves", "[http][history]") {
  Json doc;
  doc.Parse(openapi_document().c_str());
  REQUIRE(doc.IsObject());
  const auto& paths = doc["paths"];
  for (const char* path : {"/webhooks", "/webhooks/{hookId}", "/webhooks/{hookId}/secret",
                           "/webhooks/{hookId}/secret/rotate", "/webhooks/{hookId}/deliveries",
                           "/webhooks/{hookId}/test", "/webhooks/{hookId}/recover", "/deliveries/{deliveryId}",
                           "/deliveries/{deliveryId}/attempts", "/deliveries/{deliveryId}/redeliver", "/me",
                           "/projects", "/metrics", "/healthz"}) {
    CHECK(paths.HasMember(path));
  }
  CHECK(str(doc["servers"][1]["url"]) == "/v1");
}
