#pragma once
// Where `flush` callers wait for a delivery loop to go idle. The loop
// publishes, from its own thread, the last time it found nothing in flight
// and nothing due (with the flush generation it had seen, and when the next
// pending delivery comes due); each waiting flush compares that with its own
// request and deadline.

#include <runhooks/worker.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>

namespace runhooks::detail {

class FlushGate {
 public:
  /// A flush asks: returns the generation the loop must reach. The loop
  /// should then be woken.
  std::uint64_t request();
  /// Waits until the loop, past `generation`, found nothing due before
  /// `deadline` — or it stopped, or `timeout` passed.
  FlushResult wait(std::uint64_t generation, Timestamp deadline, std::chrono::milliseconds timeout);

  /// Loop side: whether a flush is waiting now, and the latest generation asked for.
  bool anyone_waiting() const { return waiting_ > 0; }
  std::uint64_t requested() const { return requested_.load(); }
  /// Loop side: idle as of `generation`; the next delivery comes due at `next_due`.
  void publish_idle(std::uint64_t generation, std::optional<Timestamp> next_due);
  /// Loop side: the loop has ended; every waiting flush returns.
  void close();

 private:
  std::atomic<std::uint64_t> requested_{0};
  std::atomic<std::size_t> waiting_{0};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t idle_generation_ = 0;       // guarded by mutex_
  std::optional<Timestamp> idle_next_due_;  // guarded by mutex_
  bool closed_ = false;                     // guarded by mutex_
};

}  // namespace runhooks::detail
