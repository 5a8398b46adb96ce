// --ca-file and --ca-path: the commands that deliver trust a private CA's
// receiver over HTTPS, and refuse a CA file that cannot serve before doing
// anything (exit 2, naming the option).

#include "cli/cli_runner.hpp"
#include "support/tls_receiver.hpp"

#include <csignal>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> kLoopback = {"--allow-network", "127.0.0.1/32"};

std::vector<std::string> operator+(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

Attempt latest_attempt(const CliRunner& cli, const std::string& delivery_id) {
  auto store = open_storage(cli.store);
  REQUIRE(store);
  auto attempts = Publisher(*store).attempts(AttemptFilter{delivery_id, "", 1});
  REQUIRE(attempts);
  REQUIRE(attempts->size() == 1);
  return attempts->front();
}

}  // namespace

TEST_CASE("cli: fire, redeliver and hooks test --wait trust a private CA with --ca-file or --ca-path", "[cli][tls]") {
  CliRunner cli;
  TestCertificates certificates;
  TlsReceiver receiver(certificates.server_certificate, certificates.server_key);
  const std::string hook_id = cli.hook("p", receiver.url());

  auto refused = cli(std::vector<std::string>{"fire", "RUN_FINISH", "--project", "p", "--wait", "3"} + kLoopback);
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 1);
  const std::string delivery_id = refused.out.substr(0, refused.out.find(" -> "));
  CHECK(latest_attempt(cli, delivery_id).error_class == AttemptErrorClass::tls);
  CHECK(receiver.requests().empty());

  auto redelivered = cli(std::vector<std::string>{"redeliver", delivery_id, "--wait", "10", "--ca-file",
                                                  certificates.ca_file} + kLoopback);
  CHECK(redelivered.exit_code == 0);
  CHECK_THAT(redelivered.out, Catch::Contains("succeeded after 2 attempt(s)"));
  auto fired = cli(std::vector<std::string>{"fire", "RUN_START", "--project", "p", "--wait", "10", "--ca-file",
                                            certificates.ca_file} + kLoopback);
  CHECK(fired.exit_code == 0);
  auto tested = cli(std::vector<std::string>{"hooks", "test", hook_id, "--wait", "10", "--ca-path",
                                             certificates.ca_directory} + kLoopback);
  CHECK(tested.exit_code == 0);
  CHECK_THAT(tested.out, Catch::Contains("succeeded, HTTP 200"));

  const std::string secret = cli.json({"hooks", "secret", hook_id, "--json"})["secret"].GetString();
  const auto requests = receiver.requests();
  CHECK(requests.size() == 3);
  for (const ReceivedRequest& r : requests) {
    CHECK(verify_webhook(secret, r.header("webhook-id"), r.header("webhook-timestamp"), r.body,
                         r.header("webhook-signature"), Clock::system().now()));
  }
}

TEST_CASE("cli: worker --ca-file delivers to a private CA's receiver, a CA file that cannot serve exits 2",
          "[cli][tls]") {
  CliRunner cli;
  TestCertificates certificates;
  TlsReceiver receiver(certificates.server_certificate, certificates.server_key);
  const std::string hook_id = cli.hook("p", receiver.url());
  const std::string missing = certificates.dir.file("missing.pem");

  const std::vector<std::vector<std::string>> commands = {
      {"fire", "RUN_FINISH", "--project", "p", "--wait", "5"}, {"redeliver", hook_id, "--wait", "5"},
      {"hooks", "test", hook_id, "--wait", "5"},               {"worker"},
      {"serve", "--listen", "127.0.0.1:0"}};
  for (const auto& command : commands) {
    INFO(command[0]);
    auto no_file = cli(command + std::vector<std::string>{"--ca-file", missing});
    CHECK(no_file.exit_code == 2);
    CHECK_THAT(no_file.err, Catch::Contains("--ca-file: '" + missing + "' cannot be read: No such file or directory"));
    CHECK(no_file.out.empty());
    auto no_directory = cli(command + std::vector<std::string>{"--ca-path", certificates.ca_file});
    CHECK(no_directory.exit_code == 2);
    CHECK_THAT(no_directory.err, Catch::Contains("--ca-path: '" + certificates.ca_file + "' is not a directory"));
  }
  CHECK(cli.delivery_count("p") == 0);  // fire stored nothing
  CHECK(receiver.connections() == 0);

  RunningProcess worker(std::vector<std::string>{RUNHOOKS_CLI, "--store", cli.store, "worker", "--ca-file",
                                                 certificates.ca_file} + kLoopback);
  CHECK_THAT(worker.read_line(), Catch::StartsWith("delivering from sqlite:"));
  REQUIRE(cli({"fire", "RUN_FINISH", "--project", "p"}).exit_code == 0);
  CHECK(receiver.wait_for(1, 20s));
  CHECK(worker.stop(SIGINT) == 0);
  CHECK(cli.json({"deliveries", "--project", "p", "--status", "succeeded", "--json"}).Size() == 1);
}
