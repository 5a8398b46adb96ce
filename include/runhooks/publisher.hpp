#pragma once
/// The application's side of the outbox: store run events for delivery,
/// redeliver, and read what was delivered. Nothing here touches the network:
/// a `Worker` (in this process or another) sends what is stored.

#include <runhooks/clock.hpp>
#include <runhooks/error.hpp>
#include <runhooks/export.hpp>
#include <runhooks/outbox.hpp>
#include <runhooks/run_event.hpp>
#include <runhooks/storage.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace runhooks {

struct PublisherOptions {
  /// `notify` refuses payloads larger than this.
  std::size_t max_payload_bytes = 256 * 1024;
  /// Time source (tests inject a fake); null = system clock.
  std::shared_ptr<const Clock> clock;
  /// Called after something was stored that may be due now (a notify that
  /// matched a hook, a redelivery): how a worker in this process learns of
  /// it at once. Must be cheap; may be called from any thread.
  std::function<void()> on_stored;
};

/// What `notify` stored.
struct NotifyReceipt {
  std::string event_id;
  std::vector<std::string> delivery_ids;  ///< one per matching enabled hook
  bool duplicate = false;  ///< the idempotency key was seen: nothing new stored
};

/// Thread-safe: every method may be called from any thread.
class RUNHOOKS_EXPORT Publisher {
 public:
  explicit Publisher(std::shared_ptr<Storage> storage, PublisherOptions options = {});
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  /// Stores a run event, and in the same transaction one delivery for every
  /// enabled hook of the project that accepts it. With a non-empty
  /// `idempotency_key` already used in this project, returns the first
  /// receipt (marked duplicate) and stores nothing.
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

  /// Sends a delivery again (whatever its status) with the same
  /// `webhook-id`; its next attempt is recorded as manual. `conflict`
  /// ("hook is disabled") when its hook is disabled: enable it first.
  Result<Delivery> redeliver(std::string_view delivery_id);

  /// Stores a sample event of `type` (see docs/delivery.md) for the hook
  /// `hook_id` alone, whatever its events and even when it is disabled: a
  /// worker sends it once, ahead of the hook's backlog, recorded as a
  /// `test` attempt that does not count toward the hook's health.
  /// `not_found` when there is no such hook.
  Result<NotifyReceipt> send_test(std::string_view hook_id, EventType type = EventType::run_finish);

  /// Re-queues, as manual redeliveries, the hook's deliveries that failed
  /// for good at or after `since` (their completion time), in small
  /// batches; returns how many. Failed test sends are left alone. `conflict` when the hook is disabled,
  /// `not_found` when there is no such hook.
  Result<std::size_t> recover(std::string_view hook_id, Timestamp since);

  /// Delivery history.
  Result<Delivery> delivery(std::string_view delivery_id) const;
  Result<std::vector<Delivery>> deliveries(const DeliveryFilter& filter) const;
  Result<std::vector<Attempt>> attempts(const AttemptFilter& filter) const;
  Result<OutboxEvent> event(std::string_view event_id) const;

  /// Events this publisher stored (duplicates not counted).
  std::uint64_t notified() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runhooks
