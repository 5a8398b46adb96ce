// How few TLS handshakes the libcurl transport makes to one HTTPS receiver:
// connections kept and reused, the connection cache not shrunk when fewer
// transfers are in flight, and a new connection resuming the session of an
// earlier one (any earlier one, not only one made by the same libcurl
// handle) instead of a full handshake.

#include "support/notifier_fixture.hpp"
#include "support/tls_receiver.hpp"
#include "support/tls_session_receiver.hpp"

#include <runhooks/transport.hpp>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

namespace {

// The libcurl transport (make_curl_transport, as the worker's), trusting
// the test CA, and the completions of what it was given to send.
struct Sender {
  std::unique_ptr<Transport> transport;
  std::size_t done = 0;
  std::vector<std::string> failures;

  explicit Sender(const std::string& ca_file) {
    CurlTransportOptions options;
    REQUIRE(options.network.allow("127.0.0.0/8"));
    options.ca_file = ca_file;
    options.connect_timeout = 5s;
    options.total_timeout = 10s;
    transport = make_curl_transport(options);
  }

  void send(const std::string& url) {
    transport->send(HttpRequest{url, {{"Content-Type", "application/json"}}, "{\"n\":1}"}, [this](HttpResult r) {
      ++done;
      if (r.error_class != AttemptErrorClass::none || r.status_code != 200) {
        failures.push_back(r.error_message.empty() ? "HTTP " + std::to_string(r.status_code) : r.error_message);
      }
    });
  }

  // Sends `count` at once, all in flight together (the receiver answers
  // none before it has them all), and waits until all have completed.
  void send_together(TlsSessionReceiver& receiver, std::size_t count) {
    receiver.answer_in_batches_of(count);
    const std::size_t target = done + count;
    for (std::size_t i = 0; i < count; ++i) send(receiver.url());
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (done < target && std::chrono::steady_clock::now() < deadline) transport->poll(50ms);
    REQUIRE(done == target);
    INFO((failures.empty() ? std::string() : failures.front()));
    REQUIRE(failures.empty());
  }
};

}  // namespace

TEST_CASE("tls sessions: requests one after another use one connection and one handshake", "[transport][tls]") {
  TestCertificates certificates;
  TlsSessionReceiver receiver(certificates.server_certificate, certificates.server_key);
  Sender sender(certificates.ca_file);
  for (int i = 0; i < 10; ++i) sender.send_together(receiver, 1);
  CHECK(receiver.requests() == 10);
  CHECK(receiver.connections() == 1);
  CHECK(receiver.full_handshakes() == 1);
}

TEST_CASE("tls sessions: a second connection resumes the first one's session", "[transport][tls]") {
  TestCertificates certificates;
  TlsSessionReceiver receiver(certificates.server_certificate, certificates.server_key);
  Sender sender(certificates.ca_file);
  sender.send_together(receiver, 1);
  REQUIRE(receiver.full_handshakes() == 1);
  // One of these takes the open connection; the other needs a new one, and
  // a transfer handle that has not been used yet.
  sender.send_together(receiver, 2);
  CHECK(receiver.connections() == 2);
  CHECK(receiver.resumed_handshakes() == 1);
  CHECK(receiver.full_handshakes() == 1);
}

TEST_CASE("tls sessions: connections the receiver closes are replaced by resuming ones", "[transport][tls]") {
  TestCertificates certificates;
  TlsSessionReceiver receiver(certificates.server_certificate, certificates.server_key, 1);  // Connection: close
  Sender sender(certificates.ca_file);
  for (const std::size_t together : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{1}}) {
    // A connection per request, all opened at once; some of them by
    // transfer handles that have not connected before.
    receiver.handshake_in_batches_of(together);
    sender.send_together(receiver, together);
  }
  CHECK(receiver.requests() == 7);
  CHECK(receiver.connections() == 7);
  CHECK(receiver.full_handshakes() == 1);
  CHECK(receiver.resumed_handshakes() == 6);
}

TEST_CASE("tls sessions: connections are kept while fewer transfers are in flight", "[transport][tls]") {
  // libcurl's connection cache holds, by default, four connections per
  // transfer in flight at that moment: with 8 open and one in flight, it
  // closes all but four, to be made again when 8 are in flight once more.
  TestCertificates certificates;
  TlsSessionReceiver receiver(certificates.server_certificate, certificates.server_key);
  Sender sender(certificates.ca_file);
  sender.send_together(receiver, 8);
  REQUIRE(receiver.connections() == 8);
  for (int i = 0; i < 8; ++i) sender.send_together(receiver, 1);
  sender.send_together(receiver, 8);
  CHECK(receiver.requests() == 24);
  CHECK(receiver.connections() == 8);
  CHECK(receiver.open_connections() == 8);
}

TEST_CASE("tls sessions: a worker's deliveries to one hook, one at a time, make one handshake",
          "[notifier][transport][tls]") {
  TestCertificates certificates;
  TlsSessionReceiver receiver(certificates.server_certificate, certificates.server_key);
  NotifierFixture f;
  f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  options.ca_file = certificates.ca_file;
  options.max_concurrency = 1;
  Notifier notifier(f.store, options);
  for (int i = 0; i < 20; ++i) REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish, "run-" + std::to_string(i))));
  REQUIRE(notifier.flush(30s) == FlushResult::idle);
  CHECK(receiver.requests() == 20);
  CHECK(receiver.connections() == 1);
  CHECK(notifier.stats().succeeded == 20);
}
