// The libcurl transport's two ways of driving libcurl — one multi handle
// (up to 512 expected in flight) and several on one epoll (more) — each
// run through every case: many endpoints at once, connections kept and reused per endpoint, one
// endpoint's thousands spread without losing its connections, wake-ups
// from another thread, timeouts, a transport destroyed with transfers in
// flight, and a transport that could not get its descriptors.

#include "support/counting_receiver.hpp"

#include <runhooks/transport.hpp>

#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

namespace {

using SteadyClock = std::chrono::steady_clock;

CurlTransportOptions loopback_options(std::size_t expected_in_flight) {
  CurlTransportOptions options;
  options.expected_in_flight = expected_in_flight;
  REQUIRE(options.network.allow("127.0.0.0/8"));
  options.connect_timeout = 10s;
  options.total_timeout = 30s;
  return options;
}

// A transport and what it gave back, by the order of sending.
struct Sender {
  std::unique_ptr<Transport> transport;
  std::vector<std::optional<HttpResult>> results;
  std::size_t done = 0;
  std::size_t called_twice = 0;

  explicit Sender(CurlTransportOptions options) : transport(make_curl_transport(std::move(options))) {}

  void send(const std::string& url) {
    const std::size_t index = results.size();
    results.emplace_back();
    transport->send(HttpRequest{url, {{"Content-Type", "application/json"}}, "{\"n\":1}"}, [this, index](HttpResult r) {
      if (results[index]) ++called_twice;
      results[index] = std::move(r);
      ++done;
    });
  }

  // Polls until `n` completions in all have come; false after `limit`.
  bool poll_until_done(std::size_t n, std::chrono::seconds limit = 60s) {
    const auto deadline = SteadyClock::now() + limit;
    while (done < n && SteadyClock::now() < deadline) transport->poll(1s);
    return done >= n;
  }
};

// How long one poll(10 s) took, with `wakeup` called from another thread
// after `delay`.
std::chrono::milliseconds poll_woken_after(Transport& transport, std::chrono::milliseconds delay) {
  const auto start = SteadyClock::now();
  std::thread waker([&transport, delay] {
    std::this_thread::sleep_for(delay);
    transport.wakeup();
  });
  transport.poll(10s);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);
  waker.join();
  return took;
}

// Each way of driving libcurl: one multi handle, and the shards on epoll.
std::size_t either_driver() {
  const std::size_t expected = GENERATE(std::size_t{64}, std::size_t{4096});
  return expected;
}

}  // namespace

TEST_CASE("transport: forty endpoints at once, each answered with its own status, on connections kept",
          "[transport]") {
  const std::size_t expected = either_driver();
  INFO("expected in flight: " << expected);
  const std::vector<int> statuses{200, 202, 404, 500};
  std::vector<std::unique_ptr<CountingReceiver>> receivers;
  for (std::size_t i = 0; i < 40; ++i) {
    receivers.push_back(std::make_unique<CountingReceiver>(statuses[i % statuses.size()]));
    // Five sent at once are in flight at once: five connections each.
    receivers.back()->answer_in_batches_of(5);
  }
  Sender sender(loopback_options(expected));
  for (std::size_t round = 0; round < 2; ++round) {
    for (int k = 0; k < 5; ++k) {
      for (const auto& receiver : receivers) sender.send(receiver->url("/hook" + std::to_string(k)));
    }
    REQUIRE(sender.transport->in_flight() == 200 * (round + 1) - sender.done);
    REQUIRE(sender.poll_until_done(200 * (round + 1)));
  }
  CHECK(sender.called_twice == 0);
  CHECK(sender.transport->in_flight() == 0);
  for (std::size_t n = 0; n < sender.results.size(); ++n) {
    const HttpResult& result = *sender.results[n];
    const int status = statuses[(n % receivers.size()) % statuses.size()];
    INFO("request " << n << ": " << result.error_message);
    CHECK(result.status_code == status);
    CHECK(result.error_class == (status < 300 ? AttemptErrorClass::none : AttemptErrorClass::http_status));
    CHECK(result.body == "ok");
  }
  for (const auto& receiver : receivers) {
    CHECK(receiver->requests() == 10);
    // The second round's five went out on the first round's connections.
    CHECK(receiver->connections() == 5);
    CHECK(receiver->open_connections() == 5);
  }
}

TEST_CASE("transport: one endpoint's hundreds in flight are spread and still reuse their connections",
          "[transport]") {
  const std::size_t expected = either_driver();
  INFO("expected in flight: " << expected);
  // Past 256 in flight in the endpoint's shard, its next transfers go to
  // the shards of their URLs: each URL in the same shard every time, so
  // its connection is found again.
  constexpr std::size_t kTogether = 300;
  CountingReceiver receiver;
  receiver.answer_in_batches_of(kTogether);
  Sender sender(loopback_options(expected));
  for (std::size_t round = 1; round <= 2; ++round) {
    for (std::size_t i = 0; i < kTogether; ++i) sender.send(receiver.url("/h" + std::to_string(i)));
    REQUIRE(sender.poll_until_done(round * kTogether));
  }
  CHECK(sender.called_twice == 0);
  for (const auto& result : sender.results) {
    INFO(result->error_message);
    CHECK(result->status_code == 200);
  }
  CHECK(receiver.requests() == 2 * kTogether);
  CHECK(receiver.connections() == kTogether);
}

TEST_CASE("transport: poll returns when a transfer completes, long before its max_wait", "[transport]") {
  const std::size_t expected = either_driver();
  INFO("expected in flight: " << expected);
  CountingReceiver receiver;
  Sender sender(loopback_options(expected));
  sender.send(receiver.url());
  const auto start = SteadyClock::now();
  while (sender.done == 0 && SteadyClock::now() - start < 30s) sender.transport->poll(10s);
  REQUIRE(sender.done == 1);
  CHECK(SteadyClock::now() - start < 5s);
  CHECK(sender.results[0]->status_code == 200);
}

TEST_CASE("transport: wakeup from another thread ends a poll, and a wakeup before a poll ends it at once",
          "[transport]") {
  const std::size_t expected = either_driver();
  INFO("expected in flight: " << expected);
  CountingReceiver black_hole(200, CountingReceiver::Mode::hang);
  Sender sender(loopback_options(expected));
  SECTION("nothing in flight") {}
  SECTION("a transfer in flight that gets no answer") {
    sender.send(black_hole.url());
    while (black_hole.requests() == 0) sender.transport->poll(50ms);
  }
  // Nothing else ends these polls before their 10 s.
  for (int i = 0; i < 3; ++i) CHECK(poll_woken_after(*sender.transport, 100ms) < 5s);
  sender.transport->wakeup();
  const auto start = SteadyClock::now();
  sender.transport->poll(10s);
  CHECK(SteadyClock::now() - start < 5s);
  CHECK(sender.done == 0);
}

TEST_CASE("transport: a receiver that never answers times out, the others' answers come", "[transport]") {
  const std::size_t expected = either_driver();
  INFO("expected in flight: " << expected);
  CountingReceiver black_hole(200, CountingReceiver::Mode::hang);
  CountingReceiver answering;
  CurlTransportOptions options = loopback_options(expected);
  options.total_timeout = 300ms;
  Sender sender(options);
  for (int i = 0; i < 3; ++i) {
    sender.send(black_hole.url());
    sender.send(answering.url());
  }
  REQUIRE(sender.poll_until_done(6));
  CHECK(sender.called_twice == 0);
  for (std::size_t n = 0; n < sender.results.size(); ++n) {
    const HttpResult& result = *sender.results[n];
    INFO("request " << n << ": " << result.error_message);
    if (n % 2 == 0) {
      CHECK(result.error_class == AttemptErrorClass::timeout);
      CHECK(result.status_code == 0);
    } else {
      CHECK(result.error_class == AttemptErrorClass::none);
      CHECK(result.status_code == 200);
    }
  }
  CHECK(black_hole.requests() == 3);
}

TEST_CASE("transport: destroyed with transfers in flight, it closes every connection and calls no completion",
          "[transport]") {
  const std::size_t expected = either_driver();
  INFO("expected in flight: " << expected);
  CountingReceiver black_hole(200, CountingReceiver::Mode::hang);
  CountingReceiver holding;  // answers only a batch of 1,000: never, here
  holding.answer_in_batches_of(1000);
  CountingReceiver answering;  // its connections are idle in the cache at the end
  auto sender = std::make_unique<Sender>(loopback_options(expected));
  for (int i = 0; i < 5; ++i) sender->send(answering.url());
  REQUIRE(sender->poll_until_done(5));
  for (int i = 0; i < 20; ++i) {
    sender->send(black_hole.url("/h" + std::to_string(i)));
    sender->send(holding.url("/h" + std::to_string(i)));
  }
  const auto deadline = SteadyClock::now() + 30s;
  while ((black_hole.requests() < 20 || holding.requests() < 20) && SteadyClock::now() < deadline) {
    sender->transport->poll(50ms);
  }
  REQUIRE(black_hole.requests() == 20);
  REQUIRE(holding.requests() == 20);
  CHECK(sender->transport->in_flight() == 40);
  REQUIRE(answering.open_connections() > 0);
  sender->transport.reset();
  CHECK(sender->done == 5);
  CHECK(black_hole.wait_for_open_at_most(0));
  CHECK(holding.wait_for_open_at_most(0));
  CHECK(answering.wait_for_open_at_most(0));
}

#ifdef __linux__  // the shards (epoll, eventfd)
TEST_CASE("transport: made without descriptors for its loop, it fails each request at once and still wakes",
          "[transport]") {
  // One made and used first: under UBSan, a virtual call whose type it has
  // not seen yet makes it check the object's memory through a pipe, which
  // it cannot open while no descriptor can be, and report a bad vptr.
  {
    CountingReceiver receiver;
    Sender warm_up(loopback_options(4096));
    warm_up.send(receiver.url());
    REQUIRE(warm_up.poll_until_done(1));
  }
  const CurlTransportOptions options = loopback_options(4096);  // the shards: an epoll and an eventfd
  // The lowest free descriptor as the limit: no new one can be opened.
  // Nothing but the transport's making in between (no Catch macro).
  const int probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(probe >= 0);
  close(probe);
  rlimit before{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &before) == 0);
  rlimit lowered = before;
  lowered.rlim_cur = static_cast<rlim_t>(probe);
  const bool was_lowered = setrlimit(RLIMIT_NOFILE, &lowered) == 0;
  auto transport = make_curl_transport(options);
  const bool was_restored = setrlimit(RLIMIT_NOFILE, &before) == 0;
  REQUIRE(was_lowered);
  REQUIRE(was_restored);

  std::optional<HttpResult> result;
  transport->send(HttpRequest{"http://127.0.0.1:9/hook", {}, "{}"}, [&result](HttpResult r) { result = std::move(r); });
  CHECK(transport->in_flight() == 1);
  transport->poll(0ms);
  REQUIRE(result);
  CHECK(result->error_class == AttemptErrorClass::other);
  CHECK_THAT(result->error_message, Catch::Contains("cannot run transfers") && Catch::Contains("epoll_create1"));
  CHECK(transport->in_flight() == 0);
  CHECK(poll_woken_after(*transport, 100ms) < 5s);
}
#endif
