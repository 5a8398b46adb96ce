// Per-endpoint concurrency of a delivery loop: slots and parked deliveries.

#include "worker/endpoint_slots.hpp"

#include <catch2/catch.hpp>

using namespace runhooks;
using namespace runhooks::detail;

namespace {

ClaimedDelivery to(const std::string& hook_id, const std::string& delivery_id,
                   AttemptTrigger trigger = AttemptTrigger::scheduled) {
  ClaimedDelivery c;
  c.delivery.hook_id = hook_id;
  c.delivery.delivery_id = delivery_id;
  c.delivery.next_trigger = trigger;
  return c;
}

std::vector<std::string> release_all(EndpointSlots& slots, const std::string& hook_id) {
  std::vector<std::string> order;
  while (auto next = slots.release(hook_id)) {
    order.push_back(next->delivery.delivery_id);
    REQUIRE(slots.try_take(hook_id));
  }
  return order;
}

}  // namespace

TEST_CASE("a hook gets at most its slots, the rest wait in claim order", "[slots]") {
  EndpointSlots slots(2);
  CHECK(slots.try_take("a"));
  CHECK(slots.try_take("a"));
  CHECK_FALSE(slots.try_take("a"));
  CHECK(slots.try_take("b"));  // other hooks are not held back
  CHECK(slots.in_flight() == 3);
  slots.park(to("a", "a3"));
  slots.park(to("a", "a4"));
  CHECK(slots.parked() == 2);

  auto next = slots.release("a");
  REQUIRE(next);
  CHECK(next->delivery.delivery_id == "a3");
  CHECK(slots.in_flight() == 2);
  CHECK(slots.try_take("a"));  // the freed slot, for a3
  next = slots.release("a");
  REQUIRE(next);
  CHECK(next->delivery.delivery_id == "a4");
  CHECK(slots.parked() == 0);
  CHECK_FALSE(slots.release("b"));
  CHECK(slots.in_flight() == 1);
}

TEST_CASE("hooks at their cap are the ones a claim skips", "[slots]") {
  EndpointSlots slots(2);
  REQUIRE(slots.try_take("a"));
  REQUIRE(slots.try_take("b"));
  CHECK(slots.full_hooks().empty());
  slots.park(to("b", "b2"));  // in flight + parked fill b
  REQUIRE(slots.try_take("a"));
  auto full = slots.full_hooks();
  std::sort(full.begin(), full.end());
  CHECK(full == std::vector<std::string>{"a", "b"});
}

TEST_CASE("0 slots reads as 1, clear gives back what was parked", "[slots]") {
  EndpointSlots slots(0);
  CHECK(slots.try_take("a"));
  CHECK_FALSE(slots.try_take("a"));
  slots.park(to("a", "x"));
  slots.park(to("a", "y"));
  const auto parked = slots.clear();
  CHECK(parked.size() == 2);
  CHECK(slots.in_flight() == 0);
  CHECK(slots.parked() == 0);
  CHECK(slots.try_take("a"));
}

TEST_CASE("a test send waits ahead of its hook's backlog, behind earlier test sends", "[slots][test-send]") {
  EndpointSlots slots(1);
  REQUIRE(slots.try_take("a"));
  slots.park(to("a", "a1"));
  slots.park(to("a", "a2", AttemptTrigger::manual));
  slots.park(to("a", "t1", AttemptTrigger::test));
  slots.park(to("a", "a3"));
  slots.park(to("a", "t2", AttemptTrigger::test));
  slots.park(to("b", "b1"));  // another hook's queue is its own
  CHECK(slots.parked() == 6);
  CHECK(release_all(slots, "a") == std::vector<std::string>{"t1", "t2", "a1", "a2", "a3"});
  CHECK(slots.parked() == 1);
}

TEST_CASE("next_parked takes the next delivery without freeing a slot", "[slots]") {
  EndpointSlots slots(1);
  REQUIRE(slots.try_take("a"));
  slots.park(to("a", "a1"));
  slots.park(to("a", "a2"));
  auto first = slots.release("a");
  REQUIRE(first);
  CHECK(first->delivery.delivery_id == "a1");
  CHECK(slots.in_flight() == 0);
  auto second = slots.next_parked("a");  // a1 could not use the slot
  REQUIRE(second);
  CHECK(second->delivery.delivery_id == "a2");
  CHECK(slots.in_flight() == 0);
  CHECK_FALSE(slots.next_parked("a"));
  CHECK(slots.try_take("a"));
}
