// kill -9 in the middle of delivery loses nothing (docs/delivery.md, At-least-once).

#include "support/notifier_fixture.hpp"
#include "support/process.hpp"

#include <csignal>

#include <map>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

TEST_CASE("a notifier killed mid-delivery loses nothing", "[notifier][crash]") {
  NotifierFixture f;
  TestReceiver receiver([](const ReceivedRequest&) {
    Reply r;
    r.delay = 30ms;  // keeps 8 requests in flight for a while: 300 take over a second
    return r;
  });
  f.hook(receiver.url());
  constexpr int kEvents = 300;
  constexpr std::size_t kMaxInFlight = 8;  // crash_child's max_concurrency

  // The child delivers while it notifies; it says when all are stored.
  RunningProcess child({RUNHOOKS_CRASH_CHILD, f.backend.uri(), std::to_string(kEvents)});
  REQUIRE(child.read_line(60s) == "notified");
  REQUIRE(receiver.wait_for(kEvents / 4, 60s));
  CHECK(child.stop(SIGKILL) == 128 + 9);
  const std::size_t seen_at_kill = receiver.count();
  REQUIRE(seen_at_kill < kEvents);  // the kill came mid-delivery

  // Every event was stored before the kill.
  auto deliveries = f.store->list_deliveries(DeliveryFilter{"proj", "", "", std::nullopt, 1000, {}, {}});
  REQUIRE(deliveries);
  REQUIRE(deliveries->size() == kEvents);

  NotifierOptions options = NotifierFixture::options();
  Notifier survivor(f.store, options);
  REQUIRE(survivor.flush(60s) == FlushResult::idle);  // waits out the dead child's leases

  std::map<std::string, int> by_webhook_id;
  for (const auto& r : receiver.requests()) ++by_webhook_id[r.header("webhook-id")];
  CHECK(by_webhook_id.size() == kEvents);
  std::size_t duplicates = 0;
  for (const auto& [id, n] : by_webhook_id) duplicates += static_cast<std::size_t>(n - 1);
  INFO("seen at kill: " << seen_at_kill << ", duplicates: " << duplicates);
  CHECK(duplicates <= kMaxInFlight);
  for (const Delivery& d : *f.store->list_deliveries(DeliveryFilter{"proj", "", "", std::nullopt, 1000, {}, {}})) {
    CHECK(d.status == DeliveryStatus::succeeded);
  }
}
