#include <runhooks/worker.hpp>

#include <algorithm>

namespace runhooks {

WorkerOptions sanitized(WorkerOptions options) {
  // 0 would park every delivery: read it as "no cap of its own".
  options.max_concurrency = std::max<std::size_t>(1, options.max_concurrency);
  if (options.per_endpoint_concurrency == 0) options.per_endpoint_concurrency = options.max_concurrency;
  options.delivery_threads = options.transport ? 1 : std::max<std::size_t>(1, options.delivery_threads);
  options.poll_interval = std::max(options.poll_interval, std::chrono::milliseconds(1));
  options.lease = std::max(options.lease, std::chrono::milliseconds(2));
  // A request that outlives its lease may be sent again by another worker
  // while it is still in flight: a duplicate, and out of order for its run.
  if (options.total_timeout >= options.lease) options.total_timeout = options.lease / 2;
  options.connect_timeout = std::min(options.connect_timeout, options.total_timeout);
  return options;
}

}  // namespace runhooks
