#pragma once
/// The worker: delivery threads that send what the outbox holds — signed,
/// retried, in order per run — and record every attempt.

#include <runhooks/clock.hpp>
#include <runhooks/error.hpp>
#include <runhooks/export.hpp>
#include <runhooks/network_policy.hpp>
#include <runhooks/outbox.hpp>
#include <runhooks/retry_policy.hpp>
#include <runhooks/storage.hpp>
#include <runhooks/transport.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace runhooks {

/// Told to `on_attempt` after every attempt.
struct AttemptReport {
  Attempt attempt;
  Delivery delivery;  ///< as stored after the attempt
  std::string event_id;
};

/// Told to `on_endpoint_state` when a worker disables a hook (410 Gone, or
/// only failures for the health window).
struct EndpointStateChange {
  std::string hook_id;
  std::string project_id;
  bool enabled = false;
  std::string reason;
};

struct WorkerOptions {
  /// Requests in flight at once, over all endpoints.
  std::size_t max_concurrency = 256;  ///< per delivery thread
  /// Requests in flight at once to one hook; 0 means max_concurrency.
  std::size_t per_endpoint_concurrency = 8;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  /// A request's whole time; at most half the lease (see `lease`).
  std::chrono::milliseconds total_timeout{std::chrono::seconds(15)};
  /// Bytes of an answer's body kept per attempt; as many bytes of its
  /// header fields (names and values) are kept besides.
  std::size_t response_capture_bytes = 20000;
  RetryPolicy retry;
  /// Loopback and private ranges are denied by default: allow them here.
  NetworkPolicy network;
  /// Certificate authorities HTTPS deliveries trust, in place of libcurl's
  /// defaults: a PEM bundle file and a directory of hashed certificates
  /// (see `CurlTransportOptions`; `check_ca_trust` checks them up front).
  /// Empty keeps the default. Verification is never turned off.
  std::string ca_file;
  std::string ca_path;
  /// A hook that has only failed for this long is disabled.
  std::chrono::milliseconds health_window{std::chrono::hours(24 * 5)};
  /// Attempts older than this are purged (hourly, by the delivery loop).
  /// Zero keeps every attempt (until its event is purged).
  std::chrono::milliseconds attempt_retention{std::chrono::hours(24 * 30)};
  /// An event is purged with its deliveries and attempts (and its
  /// idempotency key is forgotten) this long after its last delivery
  /// finished, or after it was made if no hook received it; an event with a
  /// pending delivery is kept. Hourly, by the delivery loop, in batches
  /// between deliveries. Zero keeps every event.
  std::chrono::milliseconds event_retention{std::chrono::hours(24 * 30)};
  /// How long a claimed delivery is ours before another worker may take it.
  /// It must outlast a request: a `total_timeout` not below it is cut to
  /// half of it.
  std::chrono::milliseconds lease{std::chrono::seconds(60)};
  /// How often an idle loop looks for work enqueued by other processes.
  std::chrono::milliseconds poll_interval{std::chrono::seconds(1)};
  /// When not empty, this worker sends these deliveries and nothing else of
  /// the store, purges nothing, and `flush` waits for these alone: how a
  /// process delivers what it just stored (`runhooks fire --wait`) without
  /// touching other projects' backlog.
  std::vector<std::string> only_deliveries;
  /// `User-Agent`; default "runhooks/<version>".
  std::string user_agent;
  /// Delivery threads, each with its own connections, sharing the work
  /// through leases like separate workers. 2 uses both cores of a small
  /// machine when the receivers are fast (see bench/README.md).
  std::size_t delivery_threads = 1;
  /// Time source (tests inject a fake); null = system clock.
  std::shared_ptr<const Clock> clock;
  /// HTTP seam; null = libcurl built from the options above, one per
  /// delivery thread. A transport given here serves one thread: with it,
  /// `delivery_threads` is 1.
  std::shared_ptr<Transport> transport;
  /// Called on the delivery thread after each attempt. Exceptions are caught
  /// and passed to `on_error`.
  std::function<void(const AttemptReport&)> on_attempt;
  /// Called on the delivery thread when a hook is disabled.
  std::function<void(const EndpointStateChange&)> on_endpoint_state;
  /// Storage failures and callback exceptions met on the delivery thread.
  /// Default: ignored (the loop retries); never thrown into the application.
  std::function<void(const Error&)> on_error;
};

/// The options as a worker uses them — every worker applies this one step:
/// 0 concurrency reads as 1 (and 0 per endpoint as max_concurrency), 0
/// threads as 1 (and 1 with an own transport), a poll interval under 1 ms as
/// 1 ms, a lease under 2 ms as 2 ms, a total timeout not below the lease as
/// half the lease, and a connect timeout over the total timeout as the total
/// timeout. (A transport given in the options keeps its own timeouts.)
RUNHOOKS_EXPORT WorkerOptions sanitized(WorkerOptions options);

/// What `flush` found.
enum class FlushResult {
  idle,      ///< nothing due is queued or in flight
  timed_out, ///< work remained when the timeout passed
  stopped,   ///< the worker is stopped (or never delivers)
};

/// Attempt durations counted in buckets, as a Prometheus histogram does.
struct DurationHistogram {
  /// Upper bounds, in seconds, of every bucket but the last (+Inf).
  static constexpr std::array<double, 12> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                     0.5,   1,    2.5,   5,    10,  30};
  /// How many durations fell in each bucket (not cumulative); the last is
  /// those over the last bound.
  std::array<std::uint64_t, kBounds.size() + 1> counts{};
  double sum_seconds = 0;  ///< of every duration counted
};

/// A worker's figures since it started, for an application's own metrics
/// (HttpApi serves them as Prometheus text at /metrics). `Worker::stats`
/// reads them from any thread; the attempt figures (attempts, by outcome,
/// durations) are read together and agree.
struct WorkerStats {
  /// Requests that ended (test sends included; one abandoned at stop is
  /// not counted, nor a delivery failed without a request).
  std::uint64_t attempts = 0;
  std::uint64_t succeeded = 0;   ///< deliveries that succeeded
  std::uint64_t failed = 0;      ///< deliveries failed for good
  std::uint64_t retried = 0;     ///< attempts rescheduled
  std::size_t in_flight = 0;     ///< requests in flight now
  std::uint64_t storage_errors = 0;
  /// Attempts by how they ended, indexed by AttemptErrorClass (none =
  /// a 2xx answer); they add up to `attempts`.
  std::array<std::uint64_t, kAttemptErrorClassCount> attempts_by_outcome{};
  /// How long the attempts took, from the request's start to its end.
  DurationHistogram attempt_duration;
  /// Hooks this worker disabled (a 410, or the health window).
  std::uint64_t hooks_disabled = 0;
};

/// Delivers what a `Storage` holds due. Its threads claim due deliveries
/// with a lease, so several workers — in one process or many — share the
/// work, and whatever one leaves pending (even by crashing) another picks
/// up. Nothing on those threads throws into the application.
///
/// **Example** (a process that only delivers, like `runhooks worker`)
/// ```
/// runhooks::Worker worker(store, options);
/// // ... until asked to quit:
/// worker.stop(std::chrono::seconds(10));
/// ```
class RUNHOOKS_EXPORT Worker {
 public:
  /// Shares `storage`; starts the delivery threads.
  explicit Worker(std::shared_ptr<Storage> storage, WorkerOptions options = {});
  /// Stops with a 5-second deadline (see `stop`).
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// New work may be due (something was stored in this process): look now
  /// rather than at the next poll. Any thread; cheap.
  void wake();

  /// Waits until nothing due is queued or in flight, or `timeout` passes.
  /// From a callback (a delivery thread) it returns `timed_out` at once: the
  /// loop cannot drain while it waits.
  FlushResult flush(std::chrono::milliseconds timeout);

  /// Stops taking new work, waits up to `deadline` for requests in flight,
  /// abandons the rest and gives their leases back, joins the threads.
  /// Idempotent. From a callback it only asks: the delivery threads stop
  /// once their callbacks return.
  void stop(std::chrono::milliseconds deadline = std::chrono::seconds(5));

  WorkerStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runhooks
