// HTTPS to a receiver whose certificate a private CA signed: refused as
// `tls` by default, delivered (signed) once the worker trusts that CA
// through ca_file or ca_path; a CA file that cannot serve is named before
// any connection.

#include "support/notifier_fixture.hpp"
#include "support/tls_receiver.hpp"

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

namespace {

NotifierOptions options_trusting(const std::string& ca_file, const std::string& ca_path) {
  NotifierOptions options = NotifierFixture::options();  // loopback allowed
  options.retry.schedule = {};                           // one attempt decides
  options.ca_file = ca_file;
  options.ca_path = ca_path;
  return options;
}

// The one attempt of the one delivery `notifier` makes for a new event.
Attempt deliver_once(NotifierFixture& f, const NotifierOptions& options) {
  Notifier notifier(f.store, options);
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(receipt);
  REQUIRE(receipt->delivery_ids.size() == 1);
  REQUIRE(notifier.flush(20s) == FlushResult::idle);
  const auto attempts = f.attempts_of(receipt->delivery_ids[0]);
  REQUIRE(attempts.size() == 1);
  return attempts[0];
}

}  // namespace

TEST_CASE("tls: a private CA's receiver is refused by default and delivered to with ca_file or ca_path",
          "[notifier][tls]") {
  TestCertificates certificates;
  TlsReceiver receiver(certificates.server_certificate, certificates.server_key);
  NotifierFixture f;
  const Webhook hook = f.hook(receiver.url());

  const Attempt refused = deliver_once(f, options_trusting("", ""));
  CHECK(refused.error_class == AttemptErrorClass::tls);
  CHECK_THAT(refused.error_message, Catch::Contains("certificate"));
  CHECK(receiver.wait_for_failed_handshakes(1));  // curl refused the certificate
  CHECK(receiver.requests().empty());

  SECTION("ca_file") {
    const Attempt delivered = deliver_once(f, options_trusting(certificates.ca_file, ""));
    INFO(delivered.error_message);
    CHECK(delivered.error_class == AttemptErrorClass::none);
    CHECK(delivered.status_code == 200);
  }
  SECTION("ca_path") {
    const Attempt delivered = deliver_once(f, options_trusting("", certificates.ca_directory));
    INFO(delivered.error_message);
    CHECK(delivered.error_class == AttemptErrorClass::none);
  }
  const auto requests = receiver.requests();
  REQUIRE(requests.size() == 1);
  const ReceivedRequest& r = requests[0];
  CHECK(r.method == "POST");
  CHECK(r.target == "/hook");
  CHECK(verify_webhook(hook.secret, r.header("webhook-id"), r.header("webhook-timestamp"), r.body,
                       r.header("webhook-signature"), Clock::system().now()));
}

TEST_CASE("tls: a CA file or directory that cannot serve is named, and https attempts fail unsent",
          "[notifier][tls]") {
  TestCertificates certificates;
  const std::string missing = certificates.dir.file("missing.pem");
  const std::string not_pem = certificates.dir.file("server.cnf");

  auto no_file = check_ca_trust(missing, "");
  REQUIRE_FALSE(no_file);
  CHECK(no_file.error().code == ErrorCode::invalid_argument);
  CHECK(no_file.error().field == "ca_file");
  CHECK(no_file.error().message == "ca_file '" + missing + "' cannot be read: No such file or directory");
  CHECK_THAT(check_ca_trust(not_pem, "").error().message, Catch::Contains("holds no PEM certificate"));
  CHECK_THAT(check_ca_trust(certificates.ca_directory, "").error().message, Catch::Contains("is a directory"));
  CHECK(check_ca_trust("", certificates.ca_file).error().field == "ca_path");
  CHECK_THAT(check_ca_trust("", certificates.ca_file).error().message, Catch::Contains("is not a directory"));
  CHECK(check_ca_trust("", missing).error().message ==
        "ca_path '" + missing + "' cannot be read: No such file or directory");
  CHECK(check_ca_trust(certificates.ca_file, certificates.ca_directory));
  CHECK(check_ca_trust("", ""));

  TlsReceiver receiver(certificates.server_certificate, certificates.server_key);
  TestReceiver plain;
  NotifierFixture f;
  f.hook(receiver.url());
  const Attempt refused = deliver_once(f, options_trusting(missing, ""));
  CHECK(refused.error_class == AttemptErrorClass::tls);
  CHECK(refused.error_message == no_file.error().message);
  CHECK(receiver.connections() == 0);

  // Plain http does not use the CAs: it is delivered all the same.
  NotifierFixture g;
  g.hook(plain.url());
  CHECK(deliver_once(g, options_trusting(missing, "")).error_class == AttemptErrorClass::none);
}
