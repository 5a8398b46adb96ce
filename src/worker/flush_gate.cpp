#include "worker/flush_gate.hpp"

namespace runhooks::detail {

std::uint64_t FlushGate::request() {
  ++waiting_;
  return ++requested_;
}

FlushResult FlushGate::wait(std::uint64_t generation, Timestamp deadline, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  // Work due after this flush gives up does not keep it waiting.
  const auto idle = [&] {
    return idle_generation_ >= generation && (!idle_next_due_ || *idle_next_due_ > deadline);
  };
  changed_.wait_for(lock, timeout, [&] { return idle() || closed_; });
  --waiting_;
  if (idle()) return FlushResult::idle;
  if (closed_) return FlushResult::stopped;
  return FlushResult::timed_out;
}

void FlushGate::publish_idle(std::uint64_t generation, std::optional<Timestamp> next_due) {
  std::lock_guard lock(mutex_);
  idle_generation_ = generation;
  idle_next_due_ = next_due;
  changed_.notify_all();
}

void FlushGate::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  changed_.notify_all();
}

}  // namespace runhooks::detail
