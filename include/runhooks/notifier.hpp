#pragma once
/// The notifier: durable, signed, retried delivery of run events.

#include <runhooks/clock.hpp>
#include <runhooks/error.hpp>
#include <runhooks/export.hpp>
#include <runhooks/network_policy.hpp>
#include <runhooks/outbox.hpp>
#include <runhooks/retry_policy.hpp>
#include <runhooks/run_event.hpp>
#include <runhooks/storage.hpp>
#include <runhooks/transport.hpp>
#include <runhooks/webhook.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace runhooks {

/// Told to `on_attempt` after every attempt.
struct AttemptReport {
  Attempt attempt;
  Delivery delivery;  ///< as stored after the attempt
  std::string event_id;
};

/// Told to `on_endpoint_state` when the notifier disables a hook (410 Gone,
/// or only failures for the health window).
struct EndpointStateChange {
  std::string hook_id;
  std::string project_id;
  bool enabled = false;
  std::string reason;
};

struct NotifierOptions {
  /// Requests in flight at once, over all endpoints.
  std::size_t max_concurrency = 256;  ///< per delivery thread
  /// Requests in flight at once to one hook; 0 means max_concurrency.
  std::size_t per_endpoint_concurrency = 8;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds total_timeout{std::chrono::seconds(15)};
  /// Response bytes kept per attempt.
  std::size_t response_capture_bytes = 20000;
  /// `notify` refuses payloads larger than this.
  std::size_t max_payload_bytes = 256 * 1024;
  RetryPolicy retry;
  /// Loopback and private ranges are denied by default: allow them here.
  NetworkPolicy network;
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
  /// How long a claimed delivery is ours before another worker may take it;
  /// must exceed total_timeout with room to spare.
  std::chrono::milliseconds lease{std::chrono::seconds(60)};
  /// How often an idle loop looks for work enqueued by other processes.
  std::chrono::milliseconds poll_interval{std::chrono::seconds(1)};
  /// `User-Agent`; default "runhooks/<version>".
  std::string user_agent;
  /// Delivery threads, each with its own connections, sharing the work
  /// through leases like separate workers. 2 uses both cores of a small
  /// machine when the receivers are fast (see bench/README.md).
  std::size_t delivery_threads = 1;
  /// Run the delivery loop. Off: `notify` only stores (another process's
  /// Notifier or `runhooks worker` delivers).
  bool deliver = true;
  /// Time source (tests inject a fake); null = system clock.
  std::shared_ptr<const Clock> clock;
  /// HTTP seam; null = libcurl built from the options above, one per
  /// delivery thread. A transport given here serves one thread: with it,
  /// `delivery_threads` must be 1.
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

/// What `notify` stored.
struct NotifyReceipt {
  std::string event_id;
  std::vector<std::string> delivery_ids;  ///< one per matching enabled hook
  bool duplicate = false;  ///< the idempotency key was seen: nothing new stored
};

/// What `flush` found.
enum class FlushResult {
  idle,      ///< nothing due is queued or in flight
  timed_out, ///< work remained when the timeout passed
  stopped,   ///< the notifier is stopped (or never delivers)
};

struct NotifierStats {
  std::uint64_t notified = 0;    ///< events stored by this notifier
  std::uint64_t attempts = 0;    ///< HTTP attempts made
  std::uint64_t succeeded = 0;   ///< deliveries that succeeded
  std::uint64_t failed = 0;      ///< deliveries failed for good
  std::uint64_t retried = 0;     ///< attempts rescheduled
  std::size_t in_flight = 0;     ///< requests in flight now
  std::uint64_t storage_errors = 0;
};

/// Delivers events to the hooks of a `Storage`.
///
/// `notify` may be called from any thread; it stores the event and its
/// deliveries in one transaction and returns without touching the network.
/// Delivery happens on the notifier's own thread (unless `deliver` is off),
/// which claims due deliveries with a lease, so several notifiers — in one
/// process or many — share the work, and whatever one leaves pending (even by
/// crashing) another picks up. Nothing on that thread throws into the app.
///
/// **Example**
/// ```
/// runhooks::Notifier notifier(store);
/// notifier.notify("proj", runhooks::RunEvent{runhooks::EventType::run_start, url, build});
/// notifier.flush(std::chrono::seconds(5));
/// ```
class RUNHOOKS_EXPORT Notifier {
 public:
  /// Shares `storage`; starts the delivery thread when `options.deliver`.
  explicit Notifier(std::shared_ptr<Storage> storage, NotifierOptions options = {});
  /// Stops with a 5-second deadline (see `stop`).
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  /// Stores a run event for every enabled hook of the project that accepts
  /// it. With a non-empty `idempotency_key` already used in this project,
  /// returns the first receipt (marked duplicate) and stores nothing.
  /// `invalid_argument`, storing nothing, for a project id that breaks its
  /// rule, a payload over `max_payload_bytes`, an idempotency key over 255
  /// characters, or any text (the event's strings, the keys) that is not
  /// valid UTF-8; the error names the field (`commit.authorName`,
  /// `idempotencyKey`, `orderingKey`).
  Result<NotifyReceipt> notify(std::string_view project_id, const RunEvent& event,
                               std::string_view idempotency_key = {});
  /// The same with a payload of the application's own, which must also be
  /// valid UTF-8 holding a JSON object with no escape of an unpaired
  /// surrogate (field `payload`).
  Result<NotifyReceipt> notify(std::string_view project_id, const Event& event,
                               std::string_view idempotency_key = {});

  /// Waits until nothing due is queued or in flight, or `timeout` passes.
  /// From a callback (a delivery thread) it returns `timed_out` at once: the
  /// loop cannot drain while it waits.
  FlushResult flush(std::chrono::milliseconds timeout);

  /// Stops taking new work, waits up to `deadline` for requests in flight,
  /// abandons the rest and gives their leases back, joins the thread.
  /// Idempotent; `notify` still stores afterwards. From a callback it only
  /// asks: the delivery threads stop once their callbacks return.
  void stop(std::chrono::milliseconds deadline = std::chrono::seconds(5));

  /// Sends a delivery again (whatever its status) with the same
  /// `webhook-id`; its next attempt is recorded as manual.
  Result<Delivery> redeliver(std::string_view delivery_id);

  NotifierStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runhooks
