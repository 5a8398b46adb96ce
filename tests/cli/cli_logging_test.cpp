// What `runhooks worker` logs on stderr: failures by default, every attempt
// at --log-level info, JSON lines with --log-format json, nothing with
// --quiet; never a URL.

#include "cli/cli_runner.hpp"

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A worker whose stderr goes to a file, stopped with SIGTERM by `stop`.
class LoggingWorker {
 public:
  LoggingWorker(const CliRunner& cli, const std::string& options)
      : log_(cli.dir.file("worker.log")),
        process_({"/bin/sh", "-c",
                  std::string("exec '") + RUNHOOKS_CLI + "' worker --store '" + cli.store +
                      "' --allow-network 127.0.0.0/8 " + options + " 2>'" + log_ + "'"}) {
    REQUIRE_THAT(process_.read_line(), Catch::StartsWith("delivering from"));
  }

  // The log once `what` appears `n` times (the worker writes as it goes;
  // the store's state says when to look, this only waits for the write).
  std::string await(const std::string& what, std::size_t n = 1) const {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    std::string text = read_file(log_);
    while (count(text, what) < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
      text = read_file(log_);
    }
    return text;
  }

  std::string stop() {
    CHECK(process_.stop(SIGTERM) == 0);
    return read_file(log_);
  }

 private:
  std::string log_;
  RunningProcess process_;
};

}  // namespace

TEST_CASE("cli: worker logs every attempt at --log-level info, as JSON lines, without URLs", "[cli][logging]") {
  CliRunner cli;
  TestReceiver ok;
  TestReceiver failing([](const ReceivedRequest&) { return Reply::status_only(500); });
  const std::string ok_hook = cli.hook("p", ok.url());
  const std::string failing_hook = cli.hook("p", failing.url());
  LoggingWorker worker(cli, "--log-level info --log-format json");
  CHECK(cli({"fire", "RUN_FINISH", "--project", "p"}).exit_code == 0);
  worker.await("\"msg\":\"attempt\"", 2);
  const std::string log = worker.stop();
  INFO(log);
  std::istringstream lines(log);
  std::string line;
  std::size_t attempts = 0;
  while (std::getline(lines, line)) {
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    REQUIRE_FALSE(doc.HasParseError());
    if (std::string(doc["msg"].GetString()) != "attempt") continue;
    ++attempts;
    const std::string hook = doc["hookId"].GetString();
    CHECK(doc.HasMember("deliveryId"));
    CHECK(doc["durationMs"].IsNumber());
    if (hook == ok_hook) {
      CHECK(std::string(doc["outcome"].GetString()) == "success");
      CHECK(doc["status"].GetInt() == 200);
    } else {
      CHECK(hook == failing_hook);
      CHECK(std::string(doc["outcome"].GetString()) == "http_status");
      CHECK(doc["status"].GetInt() == 500);
    }
  }
  CHECK(attempts == 2);
  CHECK(log.find("http://") == std::string::npos);
  CHECK(log.find("127.0.0.1") == std::string::npos);
}

TEST_CASE("cli: worker logs failures and a summary by default, nothing with --quiet", "[cli][logging]") {
  CliRunner cli;
  TestReceiver ok;
  TestReceiver failing([](const ReceivedRequest&) { return Reply::status_only(503); });
  cli.hook("p", ok.url());
  const std::string failing_hook = cli.hook("p", failing.url());
  {
    LoggingWorker worker(cli, "--log-summary 1");
    CHECK(cli({"fire", "RUN_FINISH", "--project", "p"}).exit_code == 0);
    REQUIRE(ok.wait_for(1));
    REQUIRE(failing.wait_for(1));
    worker.await(" succeeded=1 ");
    const std::string log = worker.stop();
    INFO(log);
    CHECK(count(log, " warn attempt ") >= 1);
    CHECK_THAT(log, Catch::Contains("hookId=" + failing_hook) && Catch::Contains("outcome=http_status") &&
                        Catch::Contains("status=503"));
    CHECK_THAT(log, Catch::Contains(" summary attempts=") && Catch::Contains(" succeeded=1 "));
    CHECK(log.find("http://") == std::string::npos);
  }
  {
    LoggingWorker worker(cli, "--quiet --log-summary 1");
    CHECK(cli({"fire", "RUN_START", "--project", "p"}).exit_code == 0);
    REQUIRE(failing.wait_for(2));
    CHECK(worker.stop().empty());
  }
}
