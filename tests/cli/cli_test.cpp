// The runhooks command-line tool, run as a shell would run it.

#include "cli/cli_runner.hpp"
#include "support/bad_utf8.hpp"

#include <curl/curl.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <rapidjson/document.h>

#include <csignal>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

namespace {

struct HttpReply {
  long status = 0;
  std::string body;
};

// A real HTTP client for the server tests.
HttpReply http(const std::string& method, const std::string& url, const std::string& key = "",
               const std::string& body = "") {
  CURL* curl = curl_easy_init();
  HttpReply reply;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  if (!key.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + key).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  // Like `curl -d ''`: methods with a body send its length, 0 when empty.
  if (method != "GET" && method != "DELETE") curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char* d, size_t s, size_t n, void* out) {
    static_cast<std::string*>(out)->append(d, s * n);
    return s * n;
  });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return reply;
}

// Sends only the head of a request and returns the status line answered
// within 3 s ("" if none): what a client announcing a huge body gets before
// sending it.
std::string status_line_for_head(const std::string& base, const std::string& head) {
  const auto colon = base.rfind(':');
  const int port = std::stoi(base.substr(colon + 1));
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string line;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      send(fd, head.data(), head.size(), 0) == static_cast<ssize_t>(head.size())) {
    char buffer[256] = {};
    const ssize_t n = recv(fd, buffer, sizeof buffer - 1, 0);
    if (n > 0) line.assign(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  return line.substr(0, line.find("\r\n"));
}

}  // namespace

TEST_CASE("cli: hooks create, list, get, update, secret, rotate, delete", "[cli]") {
  CliRunner cli;
  auto created = cli.json({"hooks", "create", "--project", "p", "--url", "https://example.com/h",
                           "--headers", R"({"X-A":"1"})", "--label", "CI", "--events", "RUN_START,RUN_FINISH", "--json"});
  const std::string id = created["hookId"].GetString();
  CHECK(std::string(created["headers"].GetString()) == R"({"X-A":"1"})");
  CHECK(created["hookEvents"].Size() == 2);

  auto list = cli.json({"hooks", "list", "--project", "p", "--json"});
  REQUIRE(list.IsArray());
  CHECK(list.Size() == 1);
  CHECK(cli({"hooks", "list", "--project", "p"}).out.find(id) != std::string::npos);
  CHECK(std::string(cli.json({"hooks", "get", id, "--json"})["url"].GetString()) == "https://example.com/h");

  auto updated = cli.json({"hooks", "update", id, "--clear-headers", "--label", "nightly", "--disable", "--json"});
  CHECK(updated["headers"].IsNull());
  CHECK(std::string(updated["label"].GetString()) == "nightly");
  CHECK(cli({"hooks", "get", id}).out.find("disabled") != std::string::npos);

  const std::string secret = cli.json({"hooks", "secret", id, "--json"})["secret"].GetString();
  CHECK(secret.rfind("whsec_", 0) == 0);
  CHECK(cli({"hooks", "secret", id}).out == secret + "\n");
  const std::string rotated = cli.json({"hooks", "rotate-secret", id, "--json"})["secret"].GetString();
  CHECK(rotated != secret);

  auto deleted = cli.json({"hooks", "delete", id, "--json"});
  CHECK(std::string(deleted["hookId"].GetString()) == id);
  auto gone = cli({"hooks", "get", id});
  CHECK(gone.exit_code == 1);
  CHECK_THAT(gone.err, Catch::Contains("not found"));
}

TEST_CASE("cli: invalid input exits 2 with the reason on stderr", "[cli]") {
  CliRunner cli;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"hooks", "create", "--project", "p", "--url", "ftp://x/"}, "url scheme must be http or https"},
      {{"hooks", "create", "--project", "p"}, "--url is required"},
      {{"hooks", "create", "--project", "p", "--url", "https://e.com/", "--events", "RUN_BEGIN"}, "unknown event"},
      {{"hooks", "create", "--project", "p", "--url", "https://e.com/", "--headers", "[]"}, "JSON object"},
      {{"hooks", "get", "not-a-uuid"}, "hookId must be a UUID"},
      {{"hooks", "update", "550e8400-e29b-41d4-a716-446655440000", "--label", "a", "--clear-label"}, "--label excludes --clear-label"},
      {{"hooks", "frobnicate"}, "unknown subcommand"},
      {{"hooks", "list", "--project", "p", "--bogus"}, "unknown option --bogus"},
      {{"keys", "create"}, "--all-projects is required"},
      {{"fire", "RUN_BEGIN", "--project", "p"}, "unknown event"},
      {{"fire", "RUN_START", "--project", "p", "--payload", "/no/such/file"}, "cannot read payload"},
      {{"fire", "RUN_START", "--project", "p", "--wait", "soon"}, "--wait: needs a whole number"},
      {{"deliveries", "--status", "lost"}, "--status must be"},
      {{"verify", "--secret", "whsec_x", "--id", "i"}, "--timestamp is required"},
      {{"nonsense"}, "unknown command"},
      {{"worker", "--retention-days", "a week"}, "--retention-days: needs a whole number"},
      {{"serve", "--retention-days", "-1"}, "--retention-days: needs a whole number"},
  };
  for (const auto& [args, message] : cases) {
    INFO(args[0] << " " << (args.size() > 1 ? args[1] : ""));
    auto r = cli(args);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(message));
    CHECK(r.out.empty());
  }
  CHECK(cli({"--store", "mysql://x", "hooks", "list", "--project", "p"}).exit_code == 2);
}

TEST_CASE("cli: keys create prints the key once, list and revoke", "[cli]") {
  CliRunner cli;
  auto created = cli.json({"keys", "create", "--project", "p1", "--project", "p2", "--read-only", "--json"});
  const std::string key_id = created["keyId"].GetString();
  CHECK(std::string(created["key"].GetString()).rfind("rhk_", 0) == 0);
  auto list = cli.json({"keys", "list", "--json"});
  REQUIRE(list.Size() == 1);
  CHECK(list[0]["projects"].Size() == 2);
  CHECK(list[0]["readOnly"].GetBool());
  CHECK(std::string(cli({"keys", "list"}).out).find(created["key"].GetString()) == std::string::npos);
  CHECK(cli({"keys", "revoke", key_id}).exit_code == 0);
  CHECK(cli({"keys", "revoke", key_id}).exit_code == 1);
  CHECK(cli.json({"keys", "list", "--json"}).Size() == 0);
}

TEST_CASE("cli: fire stores, fire --wait delivers and reports", "[cli]") {
  CliRunner cli;
  std::atomic<int> status{200};
  TestReceiver receiver([&](const ReceivedRequest&) { return Reply::status_only(status.load()); });
  const std::string id = cli.json({"hooks", "create", "--project", "p", "--url", receiver.url(), "--json"})["hookId"].GetString();
  const std::string secret = cli.json({"hooks", "secret", id, "--json"})["secret"].GetString();

  auto stored = cli.json({"fire", "RUN_START", "--project", "p", "--json"});
  CHECK(stored["deliveryIds"].Size() == 1);
  CHECK(cli.json({"deliveries", "--project", "p", "--status", "pending", "--json"}).Size() == 1);

  // Loopback is denied by default: the waiting fire fails, saying why.
  auto blocked = cli({"fire", "RUN_FINISH", "--project", "p", "--wait", "5"}, "");
  CHECK(blocked.exit_code == 1);
  CHECK_THAT(blocked.out, Catch::Contains("blocked by network policy"));

  auto sent = cli({"fire", "RUN_FINISH", "--project", "p", "--payload", "-", "--wait", "10",
                   "--allow-network", "127.0.0.0/8", "--json"},
                  R"({"runUrl":"https://ci/run/1","buildId":"b1","event":"WRONG","overall":3,"event":"ALSO"})");
  INFO(sent.err);
  REQUIRE(sent.exit_code == 0);
  const auto requests = receiver.requests();
  REQUIRE_FALSE(requests.empty());
  const ReceivedRequest& r = requests.back();
  rapidjson::Document body;
  body.Parse(r.body.c_str());
  CHECK(std::string(body["event"].GetString()) == "RUN_FINISH");
  // One "event" member left, so a receiver that reads the last one agrees.
  CHECK(r.body.find(R"("event")") == r.body.rfind(R"("event")"));
  CHECK(std::string(body["runUrl"].GetString()) == "https://ci/run/1");
  // The shell receiver's check: runhooks verify.
  auto valid = cli({"verify", "--secret", secret, "--id", r.header("webhook-id"), "--timestamp",
                    r.header("webhook-timestamp"), "--signature", r.header("webhook-signature")}, r.body);
  CHECK(valid.exit_code == 0);
  CHECK(valid.out == "valid\n");
  auto tampered = cli({"verify", "--secret", secret, "--id", r.header("webhook-id"), "--timestamp",
                       r.header("webhook-timestamp"), "--signature", r.header("webhook-signature")}, r.body + " ");
  CHECK(tampered.exit_code == 1);

  // A receiver answering 500 keeps the delivery pending: --wait fails.
  status = 500;
  auto failing = cli({"fire", "RUN_FINISH", "--project", "p", "--wait", "2", "--allow-network", "127.0.0.0/8"});
  CHECK(failing.exit_code == 1);
  CHECK_THAT(failing.out, Catch::Contains("pending") && Catch::Contains("HTTP 500"));
}

TEST_CASE("cli: fire and keys refuse text that is not valid UTF-8", "[cli][utf8]") {
  CliRunner cli;
  cli.json({"hooks", "create", "--project", "p", "--url", "https://example.com/h", "--json"});
  for (const auto& bad : with_invalid_utf8(R"({"runUrl":"https://ci/run/1","note":")", R"("})")) {
    INFO(bad.what);
    auto refused = cli({"fire", "RUN_FINISH", "--project", "p", "--payload", "-"}, bad.text);
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.err, Catch::Contains("payload must be valid UTF-8"));
  }
  // Valid text whose escape decodes to a lone surrogate: the payload as rewritten would not be.
  auto escaped = cli({"fire", "RUN_FINISH", "--project", "p", "--payload", "-"}, R"({"note":"\udc00"})");
  CHECK(escaped.exit_code == 2);
  CHECK_THAT(escaped.err, Catch::Contains("unpaired surrogate"));
  CHECK(cli({"fire", "RUN_FINISH", "--project", "p", "--payload", "-"}, R"({"note":"\ud800"})").exit_code == 2);
  // What RapidJSON would hide: text after a NUL, a byte-order mark before the object.
  for (const std::string& hidden : {std::string("{}\0junk", 7), std::string("\xEF\xBB\xBF{}")}) {
    auto refused = cli({"fire", "RUN_FINISH", "--project", "p", "--payload", "-"}, hidden);
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.err, Catch::Contains("the payload must be a JSON object"));
  }
  // Nothing was stored.
  CHECK(cli.json({"deliveries", "--project", "p", "--json"}).Size() == 0);
  auto keyed = cli({"fire", "RUN_FINISH", "--project", "p", "--idempotency-key", "k\xc0\xaf"});
  CHECK(keyed.exit_code == 2);
  CHECK_THAT(keyed.err, Catch::Contains("idempotencyKey must be valid UTF-8"));

  for (const auto& bad : with_invalid_utf8("ci ", "key")) {
    INFO(bad.what);
    auto refused = cli({"keys", "create", "--project", "p", "--label", bad.text});
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.err, Catch::Contains("label must be valid UTF-8"));
  }
  CHECK(cli.json({"keys", "list", "--json"}).Size() == 0);
}

TEST_CASE("cli: attempts and redeliver", "[cli]") {
  CliRunner cli;
  TestReceiver receiver;
  cli.json({"hooks", "create", "--project", "p", "--url", receiver.url(), "--json"});
  auto sent = cli.json({"fire", "RUN_START", "--project", "p", "--wait", "10", "--allow-network", "127.0.0.0/8", "--json"});
  REQUIRE(sent.IsArray());
  const std::string delivery = sent[0]["deliveryId"].GetString();
  auto attempts = cli.json({"attempts", delivery, "--json"});
  REQUIRE(attempts.Size() == 1);
  CHECK(attempts[0]["statusCode"].GetInt() == 200);
  CHECK(std::string(attempts[0]["trigger"].GetString()) == "scheduled");
  auto again = cli.json({"redeliver", delivery, "--json"});
  CHECK(std::string(again["status"].GetString()) == "pending");
  CHECK(cli({"attempts", "00000000-0000-4000-8000-000000000000"}).exit_code == 1);
}

TEST_CASE("cli: serve answers the API over real HTTP and stops on SIGTERM", "[cli][serve]") {
  CliRunner cli;
  const std::string key = cli.json({"keys", "create", "--project", "proj_a", "--json"})["key"].GetString();
  RunningProcess server({RUNHOOKS_CLI, "--store", cli.store, "serve", "--listen", "127.0.0.1:0", "--no-worker"});
  const std::string first = server.read_line();
  REQUIRE(first.rfind("listening on http://127.0.0.1:", 0) == 0);
  const std::string base = first.substr(std::string("listening on ").size());

  auto created = http("POST", base + "/webhooks?projectId=proj_a", key, R"({"url":"https://example.com/h"})");
  CHECK(created.status == 201);
  CHECK_THAT(created.body, Catch::StartsWith(R"({"status":"OK","data":{"hookId":")"));
  auto listed = http("GET", base + "/webhooks?projectId=proj_a", key);
  CHECK(listed.status == 200);
  auto unauthorized = http("GET", base + "/webhooks?projectId=proj_a");
  CHECK(unauthorized.status == 401);
  CHECK(unauthorized.body == R"({"status":"FAILED","error":"Invalid authentication credentials"})");
  CHECK(http("GET", base + "/webhooks?projectId=proj_b", key).status == 404);
  CHECK(http("GET", base + "/webhooks/not-a-uuid", key).status == 400);
  CHECK(http("POST", base + "/webhooks?projectId=proj_a", key, std::string(70000, 'x')).status == 413);
  // A body announced over the cap is answered before it is sent: 401 without
  // a key (nothing read for a stranger), 413 with one.
  const std::string head = "POST /webhooks?projectId=proj_a HTTP/1.1\r\nHost: x\r\n"
                           "Content-Type: application/json\r\nContent-Length: 1000000000\r\n";
  CHECK_THAT(status_line_for_head(base, head + "\r\n"), Catch::StartsWith("HTTP/1.1 401 "));
  CHECK_THAT(status_line_for_head(base, head + "Authorization: Bearer " + key + "\r\n\r\n"),
             Catch::StartsWith("HTTP/1.1 413 "));
  CHECK(http("GET", base + "/openapi.json").status == 200);

  // Every route of the contract, over the wire.
  rapidjson::Document doc;
  doc.Parse(created.body.c_str());
  const std::string id = doc["data"]["hookId"].GetString();
  CHECK(http("GET", base + "/webhooks/" + id, key).status == 200);
  auto updated = http("PUT", base + "/webhooks/" + id, key, R"({"label":"over http"})");
  CHECK(updated.status == 200);
  CHECK_THAT(updated.body, Catch::Contains(R"("label":"over http")"));
  auto empty = http("PUT", base + "/webhooks/" + id, key, "{}");
  CHECK(empty.status == 400);
  CHECK_THAT(empty.body, Catch::Contains("At least one field to update must be provided"));
  auto secret = http("GET", base + "/webhooks/" + id + "/secret", key);
  CHECK(secret.status == 200);
  CHECK_THAT(secret.body, Catch::Contains(R"({"status":"OK","data":{"secret":"whsec_)"));
  CHECK(http("POST", base + "/webhooks/" + id + "/secret/rotate", key).status == 200);
  CHECK(http("PATCH", base + "/webhooks/" + id, key).status == 405);
  // Without a Content-Length cpp-httplib refuses a POST; the answer keeps the envelope.
  CURL* bare = curl_easy_init();
  std::string bare_body;
  curl_easy_setopt(bare, CURLOPT_URL, (base + "/webhooks/" + id + "/secret/rotate").c_str());
  curl_easy_setopt(bare, CURLOPT_CUSTOMREQUEST, "POST");
  curl_easy_setopt(bare, CURLOPT_WRITEFUNCTION, +[](char* d, size_t sz, size_t n, void* out) {
    static_cast<std::string*>(out)->append(d, sz * n);
    return sz * n;
  });
  curl_easy_setopt(bare, CURLOPT_WRITEDATA, &bare_body);
  curl_easy_perform(bare);
  curl_easy_cleanup(bare);
  CHECK_THAT(bare_body, Catch::StartsWith(R"({"status":"FAILED","error":")"));
  const std::string ro = cli.json({"keys", "create", "--project", "proj_a", "--read-only", "--json"})["key"].GetString();
  CHECK(http("DELETE", base + "/webhooks/" + id, ro).status == 403);
  auto deleted = http("DELETE", base + "/webhooks/" + id, key);
  CHECK(deleted.status == 200);
  CHECK(deleted.body == R"({"status":"OK","data":{"hookId":")" + id + R"(","projectId":"proj_a"}})");
  CHECK(http("GET", base + "/webhooks/" + id, key).status == 404);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("cli: a worker delivers what fire stored, and drains on SIGINT", "[cli][serve]") {
  CliRunner cli;
  TestReceiver receiver;
  cli.json({"hooks", "create", "--project", "p", "--url", receiver.url(), "--json"});
  RunningProcess worker({RUNHOOKS_CLI, "--store", cli.store, "worker", "--allow-network", "127.0.0.0/8"});
  CHECK_THAT(worker.read_line(), Catch::StartsWith("delivering from sqlite:"));
  REQUIRE(cli({"fire", "RUN_START", "--project", "p"}).exit_code == 0);
  REQUIRE(cli({"fire", "RUN_FINISH", "--project", "p"}).exit_code == 0);
  CHECK(receiver.wait_for(2, 20s));
  CHECK(worker.stop(SIGINT) == 0);
  CHECK(cli.json({"deliveries", "--project", "p", "--status", "succeeded", "--json"}).Size() == 2);
}

TEST_CASE("cli: a worker whose --concurrency does not fit the open-file limit lowers it, says so, and delivers",
          "[cli]") {
  CliRunner cli;
  TestReceiver receiver;
  cli.json({"hooks", "create", "--project", "p", "--url", receiver.url(), "--json"});
  REQUIRE(cli({"fire", "RUN_START", "--project", "p"}).exit_code == 0);
  // 600 descriptors, less 256 for the rest of the process, hold 344
  // requests in flight, not 4,096. Stopped by SIGTERM after 3 s (drained).
  auto r = run_process({"/usr/bin/prlimit", "--nofile=600:600", "--", "timeout", "--preserve-status", "-s", "TERM",
                        "3", RUNHOOKS_CLI, "--store", cli.store, "worker", "--concurrency", "4096",
                        "--allow-network", "127.0.0.0/8"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("the open-file limit (600) leaves room for 344 requests in flight, not 4096"));
  CHECK(receiver.count() == 1);
  CHECK(cli.json({"deliveries", "--project", "p", "--status", "succeeded", "--json"}).Size() == 1);
}

TEST_CASE("cli: --per-endpoint-concurrency caps the requests in flight to one hook", "[cli]") {
  CliRunner cli;
  Gate gate;
  TestReceiver receiver([&](const ReceivedRequest&) {
    gate.pass();
    return Reply{};
  });
  cli.json({"hooks", "create", "--project", "p", "--url", receiver.url(), "--json"});
  for (int i = 0; i < 6; ++i) {  // six runs: nothing orders them after each other
    REQUIRE(cli({"fire", "RUN_START", "--project", "p", "--build-id", "b" + std::to_string(i)}).exit_code == 0);
  }
  RunningProcess worker({RUNHOOKS_CLI, "--store", cli.store, "worker", "--per-endpoint-concurrency", "2",
                         "--allow-network", "127.0.0.0/8"});
  CHECK(gate.wait_for_arrivals(2, 20s));
  // The others wait for one of the two to end (a third never arrives while
  // the gate holds them).
  CHECK_FALSE(gate.wait_for_arrivals(3, 1s));
  gate.open();
  CHECK(receiver.wait_for(6, 20s));
  CHECK(worker.stop(SIGTERM) == 0);
  CHECK(cli.json({"deliveries", "--project", "p", "--status", "succeeded", "--json"}).Size() == 6);

  auto refused = cli({"worker", "--per-endpoint-concurrency", "0"});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("--per-endpoint-concurrency: needs a whole number from 1 to 100000"));
}

TEST_CASE("cli: --help for every command", "[cli]") {
  CliRunner cli;
  auto overview = cli({"--help"});
  CHECK(overview.exit_code == 0);
  for (const char* command : {"serve", "worker", "keys", "hooks", "fire", "deliveries", "attempts", "redeliver", "verify"}) {
    INFO(command);
    CHECK_THAT(overview.out, Catch::Contains(command));
    auto help = cli({command, "--help"});
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Catch::StartsWith(std::string("runhooks ") + command));
    CHECK_THAT(help.out, Catch::Contains("USAGE"));
  }
  CHECK(cli({}).exit_code == 2);
}
