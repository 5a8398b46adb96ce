// Worker: the delivery threads, one DeliveryLoop each, and what the
// application asks of them (wake, flush, stop, stats).

#include <runhooks/worker.hpp>

#include "worker/delivery_loop.hpp"

#include <algorithm>

namespace runhooks {

class Worker::Impl {
 public:
  Impl(std::shared_ptr<Storage> storage, WorkerOptions options) : options_(sanitized(std::move(options))) {
    clock_ = options_.clock ? options_.clock.get() : &Clock::system();
    for (std::size_t i = 0; i < options_.delivery_threads; ++i) {
      WorkerOptions loop_options = options_;
      if (!loop_options.transport) loop_options.transport = make_curl_transport(curl_options());
      loops_.push_back(std::make_unique<detail::DeliveryLoop>(storage, std::move(loop_options), *clock_, counters_));
    }
  }

  CurlTransportOptions curl_options() const {
    CurlTransportOptions transport;
    transport.connect_timeout = options_.connect_timeout;
    transport.total_timeout = options_.total_timeout;
    transport.max_response_bytes = options_.response_capture_bytes;
    transport.user_agent = options_.user_agent;
    transport.network = options_.network;
    transport.ca_file = options_.ca_file;
    transport.ca_path = options_.ca_path;
    transport.expected_in_flight = options_.max_concurrency;
    return transport;
  }

  bool on_delivery_thread() const {
    return std::any_of(loops_.begin(), loops_.end(), [](const auto& loop) { return loop->on_loop_thread(); });
  }

  WorkerOptions options_;
  const Clock* clock_ = nullptr;
  detail::WorkerCounters counters_;
  std::vector<std::unique_ptr<detail::DeliveryLoop>> loops_;
};

Worker::Worker(std::shared_ptr<Storage> storage, WorkerOptions options)
    : impl_(std::make_unique<Impl>(std::move(storage), std::move(options))) {}

Worker::~Worker() { stop(); }

void Worker::wake() {
  for (auto& loop : impl_->loops_) loop->wake();
}

FlushResult Worker::flush(std::chrono::milliseconds timeout) {
  if (impl_->on_delivery_thread()) return FlushResult::timed_out;  // it would wait on itself
  timeout = detail::capped(timeout);
  // Every thread must be idle; they share one deadline.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& loop : impl_->loops_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const FlushResult result = loop->flush(std::max(left, std::chrono::milliseconds(0)));
    if (result != FlushResult::idle) return result;
  }
  return FlushResult::idle;
}

void Worker::stop(std::chrono::milliseconds deadline) {
  for (auto& loop : impl_->loops_) loop->request_stop(deadline);
  // From a callback, joining would wait on the thread running it (or on
  // another loop whose callback waits on this one): only ask.
  if (impl_->on_delivery_thread()) return;
  for (auto& loop : impl_->loops_) loop->join();
}

WorkerStats Worker::stats() const {
  WorkerStats s = impl_->counters_.read();
  for (const auto& loop : impl_->loops_) s.in_flight += loop->in_flight();
  return s;
}

}  // namespace runhooks
