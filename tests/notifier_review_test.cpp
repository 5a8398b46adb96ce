// Regressions found in review of the delivery loop, the transport and the
// network policy.

#include "support/notifier_fixture.hpp"

#include <runhooks/storage_wrapper.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <mutex>
#include <thread>
#include <vector>

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

// Throws on the first send (or not), and from poll on its first
// `poll_throws` calls; otherwise answers 200 to everything, from poll.
class FlakyTransport final : public Transport {
 public:
  explicit FlakyTransport(bool first_send_throws = true, int poll_throws = 0)
      : first_send_throws_(first_send_throws), poll_throws_(poll_throws) {}
  void send(HttpRequest, Completion done) override {
    if (++sends_ == 1 && first_send_throws_) throw std::runtime_error("boom");
    pending_.push_back(std::move(done));
  }
  void poll(std::chrono::milliseconds max_wait) override {
    if (++polls_ <= poll_throws_) throw std::runtime_error("poll failed");
    if (pending_.empty()) {
      std::this_thread::sleep_for(std::min(max_wait, std::chrono::milliseconds(5)));
      return;
    }
    auto done = std::move(pending_.front());
    pending_.pop_front();
    HttpResult ok;
    ok.status_code = 200;
    done(ok);
  }
  void wakeup() override {}
  std::size_t in_flight() const override { return pending_.size(); }

 private:
  bool first_send_throws_;
  int poll_throws_;
  int sends_ = 0;
  int polls_ = 0;
  std::deque<Completion> pending_;
};

// A store whose attempt writes fail while `failing` is set, as a full disk.
class FailingWrites final : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  Result<std::vector<Result<CompletedAttempt>>> complete_attempts(std::string_view owner,
                                                                  const std::vector<AttemptResult>& results) override {
    if (failing) return Error{ErrorCode::unavailable, {}, "disk I/O error"};
    return StorageWrapper::complete_attempts(owner, results);
  }
  std::atomic<bool> failing{true};
};

}  // namespace

TEST_CASE("a hook enabled again gets a fresh health window", "[notifier][review]") {
  NotifierFixture f;
  TestReceiver receiver([](const ReceivedRequest&) { return Reply::status_only(503); });
  const Webhook hook = f.hook(receiver.url());
  REQUIRE(f.store->modify_hook(hook.hook_id, [](Webhook& h) -> Result<void> {
    h.failing_since = Clock::system().now() - std::chrono::hours(24 * 6);
    return {};
  }));
  REQUIRE(f.registry.disable(hook.hook_id, "health"));
  auto enabled = f.registry.enable(hook.hook_id);
  REQUIRE(enabled);
  CHECK_FALSE(enabled->failing_since);
  NotifierOptions options = NotifierFixture::options();
  options.retry.schedule = {};
  Notifier notifier(f.store, options);
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish)));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  auto after = f.registry.get(hook.hook_id);
  CHECK(after->enabled);  // one failure after re-enabling is not five days of them
  CHECK(after->failing_since);
}

TEST_CASE("a refused IPv4 after a denied IPv6 is a connection error, not a block", "[notifier][review]") {
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

TEST_CASE("per_endpoint_concurrency 0 means no cap of its own", "[notifier][review]") {
  NotifierFixture f;
  TestReceiver receiver;
  f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  options.per_endpoint_concurrency = 0;
  Notifier notifier(f.store, options);
  for (int i = 0; i < 5; ++i) REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish, std::to_string(i))));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(receiver.count() == 5);
}

TEST_CASE("a retry sooner than the poll interval is not held to it", "[notifier][review]") {
  NotifierFixture f;
  std::atomic<int> calls{0};
  TestReceiver receiver([&](const ReceivedRequest&) { return Reply::status_only(++calls == 1 ? 500 : 200); });
  f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  options.poll_interval = 30s;
  options.retry.schedule = {20ms};
  Notifier notifier(f.store, options);
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish)));
  CHECK(notifier.flush(10s) == FlushResult::idle);  // would wait 30 s for the poll
  CHECK(calls == 2);
}

TEST_CASE("each flush is judged by its own deadline", "[notifier][review]") {
  NotifierFixture f;
  TestReceiver receiver([](const ReceivedRequest&) { return Reply::status_only(500); });
  f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  options.retry.schedule = {5s};
  Notifier notifier(f.store, options);
  CHECK(notifier.flush(60s) == FlushResult::idle);  // a long flush, with nothing to do
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(receiver.wait_for(1));
  // The retry is 5 s away: a 300 ms flush has nothing due within its time.
  CHECK(notifier.flush(300ms) == FlushResult::idle);
  CHECK(notifier.flush(300ms) == FlushResult::idle);
}

TEST_CASE("a run's end waiting behind its RUN_START does not hold a flush", "[notifier][review]") {
  NotifierFixture f;
  TestReceiver receiver([](const ReceivedRequest& r) {
    return Reply::status_only(r.body.find("RUN_START") != std::string::npos ? 500 : 200);
  });
  f.hook(receiver.url());
  NotifierOptions options = NotifierFixture::options();
  options.retry.schedule = {5s};
  Notifier notifier(f.store, options);
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_start, "r")));
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish, "r")));
  REQUIRE(receiver.wait_for(1));
  CHECK(notifier.flush(500ms) == FlushResult::idle);
  CHECK(receiver.count() == 1);  // the finish still waits for the start
}

// A transport that fails once (the loop catches it): one error reported,
// and the delivery still succeeds.
static void check_one_failure_loses_nothing(std::shared_ptr<Transport> transport) {
  NotifierFixture f;
  f.hook("http://127.0.0.1:9/hook");
  NotifierOptions options = NotifierFixture::options();
  options.transport = std::move(transport);
  std::atomic<int> errors{0};
  options.on_error = [&](const Error&) { ++errors; };
  Notifier notifier(f.store, options);
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(errors == 1);
  CHECK(f.store->get_delivery(receipt->delivery_ids[0])->status == DeliveryStatus::succeeded);
  CHECK(notifier.stats().in_flight == 0);
}

TEST_CASE("a transport that throws loses nothing", "[notifier][review]") {
  check_one_failure_loses_nothing(std::make_shared<FlakyTransport>());
}

TEST_CASE("a transport whose poll throws, even while the loop backs off, does not end the process",
          "[notifier][review]") {
  // The 1st poll throws inside an iteration, the 2nd in the back-off after it.
  check_one_failure_loses_nothing(std::make_shared<FlakyTransport>(false, 2));
}

TEST_CASE("callbacks may flush and stop the notifier they run in", "[notifier][review]") {
  NotifierFixture f;
  f.hook("http://127.0.0.1:9/hook");
  NotifierOptions options = NotifierFixture::options();
  options.transport = std::make_shared<FlakyTransport>(false);
  Notifier* self = nullptr;
  std::atomic<int> calls{0};
  std::atomic<FlushResult> flushed{FlushResult::idle};
  std::vector<std::string> errors;
  std::mutex errors_mutex;
  options.on_error = [&](const Error& e) {
    std::lock_guard lock(errors_mutex);
    errors.push_back(e.message);
  };
  options.on_attempt = [&](const AttemptReport&) {
    // Waiting on itself: returns at once instead of blocking the loop an hour.
    flushed = self->flush(std::chrono::hours(1));
    self->stop();  // only asks: the loop ends once this returns
    ++calls;
  };
  Notifier notifier(f.store, options);
  self = &notifier;
  REQUIRE(notifier.notify("proj", sample_run(EventType::run_finish)));
  for (int i = 0; i < 1000 && calls == 0; ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(calls == 1);
  notifier.stop();
  CHECK(flushed == FlushResult::timed_out);
  CHECK(notifier.flush(1s) == FlushResult::stopped);
  std::lock_guard lock(errors_mutex);
  CHECK(errors.empty());
}

TEST_CASE("flush and stop take forever as a timeout", "[notifier][review]") {
  NotifierFixture f;
  f.hook("http://127.0.0.1:9/hook");
  NotifierOptions options = NotifierFixture::options();
  options.transport = std::make_shared<FlakyTransport>(false);
  Notifier notifier(f.store, options);
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  CHECK(notifier.flush(std::chrono::milliseconds::max()) == FlushResult::idle);
  CHECK(f.store->get_delivery(receipt->delivery_ids[0])->status == DeliveryStatus::succeeded);
  notifier.stop(std::chrono::milliseconds::max());
  CHECK(notifier.flush(std::chrono::milliseconds::max()) == FlushResult::stopped);
}

TEST_CASE("attempts a failing store cannot record are retried with a growing pause", "[notifier][review]") {
  NotifierFixture f;
  f.hook("http://127.0.0.1:9/hook");
  auto store = std::make_shared<FailingWrites>(f.store);
  NotifierOptions options = NotifierFixture::options();
  options.transport = std::make_shared<FlakyTransport>(false);
  std::atomic<int> errors{0};
  options.on_error = [&](const Error&) { ++errors; };
  Notifier notifier(store, options);
  auto receipt = notifier.notify("proj", sample_run(EventType::run_finish));
  REQUIRE(receipt);
  std::this_thread::sleep_for(1500ms);
  // Tries after 0, 100, 300, 700 and 1,500 ms, not every 100 ms (15).
  CHECK(errors >= 1);
  CHECK(errors <= 7);
  store->failing = false;
  REQUIRE(notifier.flush(10s) == FlushResult::idle);
  CHECK(f.store->get_delivery(receipt->delivery_ids[0])->status == DeliveryStatus::succeeded);
}

TEST_CASE("more denied ranges; a mapped subnet cannot open all of IPv4", "[policy][review]") {
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
