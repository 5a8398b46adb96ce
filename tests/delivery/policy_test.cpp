// The network policy (loopback, IPv6 and mapped forms, https_only) and
// custom headers that try to forge the ones runhooks sets.

#include "support/notifier_fixture.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

namespace {

// A port on 127.0.0.1 with nobody listening.
int closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST_CASE("the network policy blocks loopback unless allowed", "[notifier][policy]") {
  NotifierFixture f;
  TestReceiver receiver;
  f.hook(receiver.url("/by-ip"));
  f.hook("http://localhost:" + std::to_string(receiver.port()) + "/by-name");
  NotifierOptions options = NotifierFixture::options();
  options.network = NetworkPolicy{};  // the default: loopback denied
  {
    Notifier notifier(f.store, options);
    auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
    REQUIRE(notifier.flush(10s) == FlushResult::idle);
    CHECK(receiver.count() == 0);
    for (const std::string& id : receipt->delivery_ids) {
      auto d = f.store->get_delivery(id);
      CHECK(d->status == DeliveryStatus::failed);  // not retried: the policy will not change
      const auto attempts = f.attempts_of(id);
      REQUIRE(attempts.size() == 1);
      CHECK(attempts[0].error_class == AttemptErrorClass::blocked_by_policy);
      CHECK_THAT(attempts[0].error_message,
                 Catch::StartsWith("blocked by network policy: ") && Catch::Contains("is loopback"));
      // ... and says how to open it, in the CLI and in C++.
      const bool v4 = attempts[0].error_message.find("127.0.0.1 is") != std::string::npos;
      const std::string subnet = v4 ? "127.0.0.1/32" : "::1/128";
      CHECK_THAT(attempts[0].error_message, Catch::Contains("--allow-network " + subnet) &&
                                                Catch::Contains("NetworkPolicy::allow(\"" + subnet + "\")"));
    }
  }
  REQUIRE(options.network.allow("127.0.0.0/8"));
  REQUIRE(options.network.allow("::1/128"));
  Notifier notifier(f.store, options);
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish)));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(receiver.count() == 2);
}

TEST_CASE("a refused IPv4 after a denied IPv6 is a connection error, not a block", "[notifier][policy]") {
  NotifierFixture f;
  f.hook("http://localhost:" + std::to_string(closed_port()) + "/hook");
  NotifierOptions options = NotifierFixture::options();
  options.network = NetworkPolicy{};
  REQUIRE(options.network.allow("127.0.0.0/8"));  // ::1 stays denied
  options.retry.schedule = {};
  Notifier notifier(f.store, options);
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  const auto attempts = f.attempts_of(receipt->delivery_ids[0]);
  REQUIRE(attempts.size() == 1);
  CHECK(attempts[0].error_class == AttemptErrorClass::connect);
}

TEST_CASE("more denied ranges, a mapped subnet cannot open all of IPv4", "[policy]") {
  const NetworkPolicy policy;
  for (const char* address : {"64:ff9b:1::a00:1", "2001::1", "100::1", "::ffff:0:7f00:1"}) {
    INFO(address);
    CHECK(policy.denial(address));
  }
  NetworkPolicy open;
  CHECK_FALSE(open.allow("::ffff:10.0.0.0/8"));
  REQUIRE(open.allow("::ffff:10.0.0.0/104"));
  CHECK_FALSE(open.denial("10.1.2.3"));
  CHECK(open.denial("127.0.0.1"));
  CHECK(open.denial("169.254.169.254"));
}

TEST_CASE("https_only refuses plain http before connecting", "[notifier][policy]") {
  NotifierFixture f;
  TestReceiver receiver;
  f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  options.network.https_only = true;
  Notifier notifier(f.store, options);
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(receiver.count() == 0);
  CHECK_THAT(f.attempts_of(receipt->delivery_ids[0])[0].error_message, Catch::Contains("only https"));
}

TEST_CASE("custom headers cannot forge the signature headers", "[notifier][policy][headers]") {
  NotifierFixture f;
  TestReceiver receiver;
  for (const char* forged : {R"({"webhook-id":"msg_forged"})", R"({"Webhook-Signature":"v1,x"})",
                             R"({"Content-Type":"text/plain"})", R"({"X-A":"1\r\nwebhook-id: evil"})",
                             R"({"Host":"evil.example"})", R"({"Transfer-Encoding":"chunked"})"}) {
    INFO(forged);
    auto refused = f.registry.create("proj", NewWebhook{receiver.url(), std::string(forged), {}, {}});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().field == "headers");
  }
  // Even a hook written behind the registry's back cannot add a second copy
  // of a header runhooks sets: what is stored is sent as given, and the
  // receiver must see exactly one webhook-id, the real one.
  f.hook(receiver.url(), {}, R"({"X-Custom":"yes"})");
  Notifier notifier(f.store, NotifierFixture::options());
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  const ReceivedRequest r = receiver.requests().at(0);
  CHECK(r.header("x-custom") == "yes");
  CHECK(r.header_count("webhook-id") == 1);
  CHECK(r.header("webhook-id") == "msg_" + receipt->delivery_ids[0]);
}
