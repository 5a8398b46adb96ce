#pragma once
/// The notifier: a Publisher and a Worker on one storage — the convenient
/// pair for an application that stores run events and delivers them itself.

#include <runhooks/error.hpp>
#include <runhooks/export.hpp>
#include <runhooks/outbox.hpp>
#include <runhooks/publisher.hpp>
#include <runhooks/run_event.hpp>
#include <runhooks/storage.hpp>
#include <runhooks/worker.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace runhooks {

/// The worker's options, and the publisher's.
struct NotifierOptions : WorkerOptions {
  /// `notify` refuses payloads larger than this.
  std::size_t max_payload_bytes = 256 * 1024;
  /// Run the worker. Off: `notify` only stores (another process's worker
  /// delivers); a `Publisher` alone does the same with less.
  bool deliver = true;
};

/// The worker's figures (zero when the notifier does not deliver), and the
/// publisher's.
struct NotifierStats : WorkerStats {
  std::uint64_t notified = 0;  ///< events stored by this notifier
};

/// Stores run events and delivers them. `notify` stores the event and its
/// deliveries in one transaction and returns without touching the network;
/// delivery happens on the worker's threads (see `Worker`), woken at once.
///
/// **Example**
/// ```
/// runhooks::Notifier notifier(store);
/// notifier.notify("proj", runhooks::RunEvent{runhooks::EventType::run_start, url, build});
/// notifier.flush(std::chrono::seconds(5));
/// ```
class RUNHOOKS_EXPORT Notifier {
 public:
  /// Shares `storage`; starts the worker when `options.deliver`.
  explicit Notifier(std::shared_ptr<Storage> storage, NotifierOptions options = {});
  /// Stops the worker with a 5-second deadline (see `Worker::stop`).
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  /// See `Publisher::notify`.
  Result<NotifyReceipt> notify(std::string_view project_id, const RunEvent& event,
                               std::string_view idempotency_key = {});
  Result<NotifyReceipt> notify(std::string_view project_id, const Event& event,
                               std::string_view idempotency_key = {});
  /// See `Publisher::redeliver`.
  Result<Delivery> redeliver(std::string_view delivery_id);

  /// See `Worker::flush`; `stopped` when the notifier does not deliver.
  FlushResult flush(std::chrono::milliseconds timeout);
  /// See `Worker::stop`. Idempotent; `notify` still stores afterwards.
  void stop(std::chrono::milliseconds deadline = std::chrono::seconds(5));

  NotifierStats stats() const;

  /// The two halves, for what the shortcuts above leave out (the delivery
  /// history, for one). `worker()` is null when the notifier does not deliver.
  Publisher& publisher();
  Worker* worker();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runhooks
