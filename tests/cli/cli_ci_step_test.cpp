// The runhooks tool as a CI step uses it (issue 13): fire sends only its own
// event and fails on a misspelt project, a reused idempotency key, a bad
// payload; strict options; the history and actions commands.

#include "cli/cli_runner.hpp"

#include <cstdlib>

using namespace runhooks;
using namespace runhooks::test;

namespace {

const char* const kLoopback = "127.0.0.0/8";

std::string first_delivery(const rapidjson::Document& receipt) {
  REQUIRE(receipt["deliveryIds"].Size() == 1);
  return receipt["deliveryIds"][0].GetString();
}

}  // namespace

TEST_CASE("cli: fire --wait delivers only the deliveries of the event it stored", "[cli]") {
  CliRunner cli;
  TestReceiver a_receiver;
  TestReceiver b_receiver;
  cli.hook("proj_a", a_receiver.url());
  cli.hook("proj_b", b_receiver.url());
  const std::string a_delivery = first_delivery(cli.json({"fire", "RUN_START", "--project", "proj_a", "--json"}));

  // B's step opens loopback, A's receiver included: A's delivery stays put.
  auto b = cli({"fire", "RUN_FINISH", "--project", "proj_b", "--wait", "10", "--allow-network", kLoopback});
  INFO(b.err);
  CHECK(b.exit_code == 0);
  CHECK_THAT(b.out, Catch::Contains("succeeded after 1 attempt(s)"));
  CHECK(b_receiver.requests().size() == 1);
  CHECK(a_receiver.requests().empty());
  const Delivery a = cli.delivery(a_delivery);
  CHECK(a.status == DeliveryStatus::pending);
  CHECK(a.attempt_count == 0);
  CHECK(a.lease_owner.empty());
  CHECK_FALSE(a.lease_expires_at.has_value());
}

TEST_CASE("cli: fire --wait shows how to open an address the policy blocks", "[cli]") {
  CliRunner cli;
  TestReceiver receiver;
  cli.hook("p", receiver.url());
  auto blocked = cli({"fire", "RUN_FINISH", "--project", "p", "--wait", "5"});
  CHECK(blocked.exit_code == 1);
  CHECK_THAT(blocked.out, Catch::Contains("--allow-network 127.0.0.1/32"));
}

TEST_CASE("cli: fire that matches no enabled hook exits 3 unless --allow-no-hooks", "[cli]") {
  CliRunner cli;
  const std::string id = cli.hook("p", "https://example.com/h");
  auto misspelt = cli({"fire", "RUN_FINISH", "--project", "P"});
  CHECK(misspelt.exit_code == 3);
  CHECK_THAT(misspelt.err, Catch::Contains("no enabled hook of project 'P' takes RUN_FINISH"));
  CHECK(cli({"fire", "RUN_FINISH", "--project", "P", "--allow-no-hooks"}).exit_code == 0);
  CHECK(cli({"hooks", "disable", id}).exit_code == 0);
  CHECK(cli({"fire", "RUN_FINISH", "--project", "p", "--wait", "1"}).exit_code == 3);
}

TEST_CASE("cli: an idempotency key reused for another event is refused, the same event is a duplicate", "[cli]") {
  CliRunner cli;
  cli.hook("p", "https://example.com/h");
  auto first = cli.json({"fire", "RUN_START", "--project", "p", "--idempotency-key", "run-7", "--json"});
  auto other = cli({"fire", "RUN_FINISH", "--project", "p", "--idempotency-key", "run-7"});
  CHECK(other.exit_code == 1);
  CHECK_THAT(other.err, Catch::Contains("idempotency key was already used for a different event"));
  CHECK(cli.delivery_count("p") == 1);
  auto again = cli.json({"fire", "RUN_START", "--project", "p", "--idempotency-key", "run-7", "--json"});
  CHECK(again["duplicate"].GetBool());
  CHECK(std::string(again["eventId"].GetString()) == first["eventId"].GetString());
  CHECK(cli.delivery_count("p") == 1);
}

TEST_CASE("cli: fire checks a run payload and builds one from flags", "[cli]") {
  CliRunner cli;
  cli.hook("p", "https://example.com/h");
  const std::vector<std::pair<std::vector<std::string>, std::string>> refused = {
      {{"--payload", "-"}, "buildId"},
      {{"--passes", "abc"}, "--passes"},
      {{"--failures", "-1"}, "--failures"},
  };
  for (const auto& [args, field] : refused) {
    std::vector<std::string> argv = {"fire", "RUN_FINISH", "--project", "p"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = cli(argv, R"({"buildId":5})");
    INFO(field << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(field));
  }
  CHECK(cli.delivery_count("p") == 0);

  auto receipt = cli.json({"fire", "RUN_FINISH", "--project", "p", "--payload", "-", "--run-url", "https://ci/run/2",
                           "--tag", "nightly", "--tag", "e2e", "--commit-sha", "abc123", "--branch", "main",
                           "--passes", "7", "--flaky", "0", "--json"},
                          R"({"runUrl":"https://ci/run/1","passes":1,"custom":{"x":true},"commit":{"message":"m"}})");
  const OutboxEvent stored = cli.event(receipt["eventId"].GetString());
  rapidjson::Document payload;
  payload.Parse(stored.payload.c_str());
  CHECK(std::string(payload["event"].GetString()) == "RUN_FINISH");
  CHECK(std::string(payload["runUrl"].GetString()) == "https://ci/run/2");
  CHECK(payload["passes"].GetInt() == 7);
  CHECK(payload["flaky"].GetInt() == 0);
  REQUIRE(payload["tags"].Size() == 2);
  CHECK(std::string(payload["tags"][1].GetString()) == "e2e");
  CHECK(std::string(payload["commit"]["sha"].GetString()) == "abc123");
  CHECK(std::string(payload["commit"]["message"].GetString()) == "m");
  CHECK(payload["custom"]["x"].GetBool());
}

TEST_CASE("cli: hooks test, disable, enable, redeliver --wait and recover", "[cli]") {
  CliRunner cli;
  std::atomic<int> status{200};
  TestReceiver receiver([&](const ReceivedRequest&) { return Reply::status_only(status.load()); });
  const std::string id = cli.hook("p", receiver.url());

  auto tested = cli({"hooks", "test", id, "--event", "RUN_START", "--wait", "10", "--allow-network", kLoopback});
  INFO(tested.err);
  CHECK(tested.exit_code == 0);
  CHECK_THAT(tested.out, Catch::Contains("succeeded, HTTP 200"));
  REQUIRE(receiver.requests().size() == 1);
  CHECK_THAT(receiver.requests()[0].body, Catch::Contains("RUN_START"));
  status = 500;
  auto failing = cli({"hooks", "test", id, "--wait", "10", "--allow-network", kLoopback});
  CHECK(failing.exit_code == 1);
  CHECK_THAT(failing.out, Catch::Contains("HTTP 500"));

  const std::string delivery = first_delivery(cli.json({"fire", "RUN_FINISH", "--project", "p", "--json"}));
  auto disabled = cli({"hooks", "disable", id, "--reason", "maintenance"});
  CHECK(disabled.exit_code == 0);
  CHECK_THAT(cli({"hooks", "get", id}).out, Catch::Contains("disabled: maintenance"));
  auto refused = cli({"redeliver", delivery});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("enable it first"));
  CHECK(cli({"hooks", "enable", id}).exit_code == 0);

  status = 200;
  auto redelivered = cli({"redeliver", delivery, "--wait", "10", "--allow-network", kLoopback});
  INFO(redelivered.err);
  CHECK(redelivered.exit_code == 0);
  CHECK(cli.delivery(delivery).status == DeliveryStatus::succeeded);

  auto recovered = cli({"recover", "--hook", id, "--since", "2000-01-01T00:00:00Z"});
  CHECK(recovered.exit_code == 0);
  CHECK_THAT(recovered.out, Catch::Contains("failed delivery(ies) queued again"));
  auto bad_since = cli({"recover", "--hook", id, "--since", "yesterday"});
  CHECK(bad_since.exit_code == 2);
  CHECK_THAT(bad_since.err, Catch::Contains("--since"));
}

TEST_CASE("cli: deliveries and attempts show the event, the URL, the request and the response", "[cli]") {
  CliRunner cli;
  TestReceiver receiver;
  cli.hook("p", receiver.url());
  auto sent = cli({"fire", "RUN_FINISH", "--project", "p", "--wait", "10", "--allow-network", kLoopback});
  REQUIRE(sent.exit_code == 0);
  auto list = cli.json({"deliveries", "--project", "p", "--json"});
  REQUIRE(list.Size() == 1);
  CHECK(std::string(list[0]["event"].GetString()) == "RUN_FINISH");
  const std::string delivery = list[0]["deliveryId"].GetString();
  CHECK_THAT(cli({"deliveries", "--project", "p"}).out, Catch::Contains("RUN_FINISH"));

  auto attempts = cli.json({"attempts", delivery, "--json"});
  REQUIRE(attempts.Size() == 1);
  CHECK(std::string(attempts[0]["request"]["url"].GetString()) == receiver.url());
  CHECK(attempts[0]["response"].IsObject());
  auto table = cli({"attempts", delivery, "--full"});
  CHECK_THAT(table.out, Catch::Contains(receiver.url()) && Catch::Contains("response: 200") &&
                            Catch::Contains("webhook-signature"));
}

TEST_CASE("cli: me shows what the API knows of a key", "[cli]") {
  CliRunner cli;
  auto created = cli.json({"keys", "create", "--project", "p", "--read-only", "--label", "ci", "--json"});
  const std::string key = created["key"].GetString();
  auto me = cli({"me", "--key", key});
  CHECK(me.exit_code == 0);
  CHECK_THAT(me.out, Catch::Contains(created["keyId"].GetString()) && Catch::Contains("read-only") &&
                         Catch::Contains("ci"));
  ::setenv("RUNHOOKS_KEY", key.c_str(), 1);
  auto from_env = cli({"me", "--json"});
  ::unsetenv("RUNHOOKS_KEY");
  CHECK(from_env.exit_code == 0);
  CHECK_THAT(from_env.out, Catch::Contains(R"("readOnly":true)"));
  auto unknown = cli({"me", "--key", "rhk_nope"});
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Catch::Contains("Invalid authentication credentials"));
}

TEST_CASE("cli: hooks create warns about an address the default policy denies", "[cli]") {
  CliRunner cli;
  auto local = cli({"hooks", "create", "--project", "p", "--url", "http://127.0.0.1:9/h"});
  CHECK(local.exit_code == 0);
  CHECK_THAT(local.err, Catch::Contains("warning") && Catch::Contains("--allow-network 127.0.0.1/32"));
  auto v6 = cli({"hooks", "create", "--project", "p", "--url", "http://[::1]:9/h"});
  CHECK(v6.exit_code == 0);
  CHECK_THAT(v6.err, Catch::Contains("--allow-network ::1/128"));
  auto public_host = cli({"hooks", "create", "--project", "p", "--url", "https://example.com/h"});
  CHECK(public_host.exit_code == 0);
  CHECK(public_host.err.empty());
}

TEST_CASE("cli: --store before or after the command, a plain path is SQLite", "[cli]") {
  CliRunner cli;
  cli.hook("p", "https://example.com/h");
  for (const std::string& store : {cli.store, cli.path}) {
    auto after = run_process({RUNHOOKS_CLI, "hooks", "list", "--project", "p", "--json", "--store", store});
    INFO(store << ": " << after.err);
    CHECK(after.exit_code == 0);
    CHECK_THAT(after.out, Catch::Contains("example.com"));
    CHECK(run_process({RUNHOOKS_CLI, "--store", store, "hooks", "list", "--project", "p"}).exit_code == 0);
  }
}

TEST_CASE("cli: options are parsed strictly", "[cli]") {
  CliRunner cli;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"deliveries", "--limit", "abc"}, "--limit: needs a whole number from 1 to 10000 (got 'abc')"},
      {{"deliveries", "--limit", "0"}, "--limit"},
      {{"deliveries", "--limit", "99999999999999999999"}, "--limit"},
      {{"serve", "--threads", "many"}, "--threads"},
      {{"worker", "--concurrency", "1.5"}, "--concurrency"},
      {{"worker", "--log-level", "debug"}, "--log-level"},
      {{"deliveries", "--bogus"}, "unknown option --bogus"},
      {{"attempts"}, "DELIVERY_ID is required"},
      {{"keys", "create", "--project", "p", "--all-projects"}, "excludes"},
      {{"hooks", "create", "--project", "p", "--url", "https://e.com/", "--events", "RUN_START, RUN_BEGIN"},
       "unknown event 'RUN_BEGIN'"},
  };
  for (const auto& [args, message] : cases) {
    INFO(args[0] << " " << args.back());
    auto r = cli(args);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(message));
  }
  auto events = cli.json({"hooks", "create", "--project", "p", "--url", "https://e.com/", "--events",
                          "RUN_START, RUN_FINISH", "--events", "RUN_CANCELED", "--json"});
  CHECK(events["hookEvents"].Size() == 3);

  auto help = cli({"help", "fire"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("--allow-no-hooks") && Catch::Contains("exit"));
  CHECK(cli({"fire", "--help"}).out == help.out);
  CHECK_THAT(cli({"hooks", "test", "--help"}).out, Catch::Contains("hooks test"));
  CHECK_THAT(cli({"help"}).out, Catch::Contains("3  fire matched no enabled hook"));
}

TEST_CASE("cli: verify --tolerance", "[cli]") {
  CliRunner cli;
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const std::string old = std::to_string(std::time(nullptr) - 600);
  auto signed_ = cli({"verify", "--secret", secret, "--id", "msg_1", "--timestamp", old}, "{}");
  REQUIRE(signed_.exit_code == 0);
  const std::string signature = signed_.out.substr(0, signed_.out.size() - 1);
  const std::vector<std::string> verify = {"verify", "--secret", secret, "--id", "msg_1", "--timestamp", old,
                                           "--signature", signature};
  CHECK(cli(verify, "{}").exit_code == 1);
  auto tolerant = verify;
  tolerant.insert(tolerant.end(), {"--tolerance", "3600"});
  CHECK(cli(tolerant, "{}").exit_code == 0);
  tolerant.back() = "an hour";
  CHECK(cli(tolerant, "{}").exit_code == 2);
}
