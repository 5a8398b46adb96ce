#pragma once
// Waiting in tests for what another thread or process does: poll a condition
// until it holds, with a deadline far past what a slow machine needs (a
// deadline only turns a hang into a failure; it is never what is tested).

#include <chrono>
#include <thread>

namespace runhooks::test {

/// Polls `condition` every `every` until it holds (true) or `timeout`
/// passes (false, after one last look).
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(10),
                std::chrono::milliseconds every = std::chrono::milliseconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(every);
  }
  return true;
}

}  // namespace runhooks::test
