#include "worker/endpoint_slots.hpp"

#include <algorithm>

namespace runhooks::detail {

EndpointSlots::EndpointSlots(std::size_t per_endpoint) : per_endpoint_(std::max<std::size_t>(1, per_endpoint)) {}

bool EndpointSlots::try_take(const std::string& hook_id) {
  std::size_t& busy = busy_[hook_id];
  if (busy >= per_endpoint_) return false;
  ++busy;
  ++in_flight_;
  return true;
}

namespace {
bool is_test(const ClaimedDelivery& claimed) { return claimed.delivery.next_trigger == AttemptTrigger::test; }
}  // namespace

void EndpointSlots::park(ClaimedDelivery claimed) {
  std::deque<ClaimedDelivery>& queue = queues_[claimed.delivery.hook_id];
  if (is_test(claimed)) {
    // Ahead of the hook's backlog, behind the test sends parked before it.
    queue.insert(std::find_if_not(queue.begin(), queue.end(), is_test), std::move(claimed));
  } else {
    queue.push_back(std::move(claimed));
  }
  ++parked_;
}

std::optional<ClaimedDelivery> EndpointSlots::release(const std::string& hook_id) {
  const auto busy = busy_.find(hook_id);
  if (busy != busy_.end() && busy->second > 0) {
    --in_flight_;
    if (--busy->second == 0) busy_.erase(busy);
  }
  return next_parked(hook_id);
}

std::optional<ClaimedDelivery> EndpointSlots::next_parked(const std::string& hook_id) {
  const auto queue = queues_.find(hook_id);
  if (queue == queues_.end()) return std::nullopt;
  ClaimedDelivery next = std::move(queue->second.front());
  queue->second.pop_front();
  --parked_;
  if (queue->second.empty()) queues_.erase(queue);
  return next;
}

std::vector<ClaimedDelivery> EndpointSlots::take_parked(const std::string& hook_id) {
  std::vector<ClaimedDelivery> taken;
  const auto queue = queues_.find(hook_id);
  if (queue == queues_.end()) return taken;
  for (ClaimedDelivery& c : queue->second) taken.push_back(std::move(c));
  parked_ -= taken.size();
  queues_.erase(queue);
  return taken;
}

std::vector<std::string> EndpointSlots::full_hooks() const {
  std::vector<std::string> full;
  for (const auto& [hook_id, busy] : busy_) {
    const auto queue = queues_.find(hook_id);
    const std::size_t waiting = queue == queues_.end() ? 0 : queue->second.size();
    if (busy + waiting >= per_endpoint_) full.push_back(hook_id);
  }
  return full;
}

std::vector<ClaimedDelivery> EndpointSlots::clear() {
  std::vector<ClaimedDelivery> parked;
  for (auto& [hook_id, queue] : queues_) {
    for (ClaimedDelivery& c : queue) parked.push_back(std::move(c));
  }
  queues_.clear();
  busy_.clear();
  in_flight_ = 0;
  parked_ = 0;
  return parked;
}

}  // namespace runhooks::detail
