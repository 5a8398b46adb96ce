// Per-endpoint concurrency of a delivery loop: slots and parked deliveries.

#include "worker/endpoint_slots.hpp"

#include <catch2/catch.hpp>

using namespace runhooks;
using namespace runhooks::detail;

namespace {

ClaimedDelivery to(const std::string& hook_id, const std::string& delivery_id) {
  ClaimedDelivery c;
  c.delivery.hook_id = hook_id;
  c.delivery.delivery_id = delivery_id;
  return c;
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
