// Notifier: notify (store the event and its deliveries), and the public face
// of the delivery loop.

#include <runhooks/notifier.hpp>
#include <runhooks/validation.hpp>

#include "core/random.hpp"
#include "core/utf8.hpp"
#include "delivery/delivery_loop.hpp"
#include "delivery/payload.hpp"
#include "model/stored_text.hpp"

#include <algorithm>

namespace runhooks {

namespace {

constexpr std::size_t kMaxIdempotencyKeyLength = 255;  // characters

Result<void> validate_keys(std::string_view ordering_key, std::string_view idempotency_key) {
  if (auto valid = validate_utf8(ordering_key, "orderingKey"); !valid) return valid;
  if (auto valid = detail::validate_stored_text(idempotency_key, "idempotencyKey"); !valid) return valid;
  if (*detail::count_utf8_characters(idempotency_key) > kMaxIdempotencyKeyLength) {
    return Error::invalid("idempotencyKey", "idempotency key must be at most " +
                                                std::to_string(kMaxIdempotencyKeyLength) + " characters");
  }
  return {};
}

}  // namespace

class Notifier::Impl {
 public:
  Impl(std::shared_ptr<Storage> storage, NotifierOptions options)
      : storage_(std::move(storage)), options_(std::move(options)) {
    clock_ = options_.clock ? options_.clock.get() : &Clock::system();
    // 0 would park every delivery: read it as "no cap of its own".
    if (options_.max_concurrency == 0) options_.max_concurrency = 1;
    if (options_.per_endpoint_concurrency == 0) options_.per_endpoint_concurrency = options_.max_concurrency;
    if (!options_.deliver) return;
    const std::size_t threads = options_.transport ? 1 : std::max<std::size_t>(1, options_.delivery_threads);
    for (std::size_t i = 0; i < threads; ++i) {
      NotifierOptions loop_options = options_;
      if (!loop_options.transport) loop_options.transport = make_curl_transport(curl_options());
      loops_.push_back(std::make_unique<detail::DeliveryLoop>(storage_, std::move(loop_options), *clock_,
                                                              counters_));
    }
  }

  CurlTransportOptions curl_options() const {
    CurlTransportOptions transport;
    transport.connect_timeout = options_.connect_timeout;
    transport.total_timeout = options_.total_timeout;
    transport.max_response_bytes = options_.response_capture_bytes;
    transport.user_agent = options_.user_agent;
    transport.network = options_.network;
    return transport;
  }

  bool on_delivery_thread() const {
    return std::any_of(loops_.begin(), loops_.end(), [](const auto& loop) { return loop->on_loop_thread(); });
  }

  void wake() {
    for (auto& loop : loops_) loop->wake();
  }

  Result<NotifyReceipt> enqueue(std::string_view project_id, EventType type, std::string payload,
                                std::string ordering_key, std::string_view idempotency_key) {
    if (auto valid = validate_project_id(project_id); !valid) return std::move(valid).error();
    if (auto fits = check_payload_size(payload.size()); !fits) return std::move(fits).error();
    if (auto valid = validate_keys(ordering_key, idempotency_key); !valid) return std::move(valid).error();
    const Timestamp now = clock_->now();
    auto event_id = detail::time_ordered_uuid(now.time_since_epoch().count());
    if (!event_id) return std::move(event_id).error();
    OutboxEvent event;
    event.event_id = std::move(*event_id);
    event.project_id = std::string(project_id);
    event.type = type;
    event.payload = std::move(payload);
    event.idempotency_key = std::string(idempotency_key);
    event.ordering_key = std::move(ordering_key);
    event.created_at = now;
    auto stored = storage_->enqueue(event);
    if (!stored) return std::move(stored).error();
    if (!stored->duplicate) ++counters_.notified;
    if (!stored->delivery_ids.empty()) wake();
    return NotifyReceipt{std::move(stored->event_id), std::move(stored->delivery_ids), stored->duplicate};
  }

  Result<void> check_payload_size(std::size_t bytes) const {
    if (bytes <= options_.max_payload_bytes) return {};
    return Error::invalid("payload", "payload must be at most " + std::to_string(options_.max_payload_bytes) +
                                         " bytes (max_payload_bytes), got " + std::to_string(bytes));
  }

  std::shared_ptr<Storage> storage_;
  NotifierOptions options_;
  const Clock* clock_ = nullptr;
  detail::NotifierCounters counters_;
  std::vector<std::unique_ptr<detail::DeliveryLoop>> loops_;
};

Notifier::Notifier(std::shared_ptr<Storage> storage, NotifierOptions options)
    : impl_(std::make_unique<Impl>(std::move(storage), std::move(options))) {}

Notifier::~Notifier() { stop(); }

Result<NotifyReceipt> Notifier::notify(std::string_view project_id, const RunEvent& event,
                                       std::string_view idempotency_key) {
  if (auto valid = detail::validate_run_event_text(event); !valid) return std::move(valid).error();
  std::string ordering = event.ordering_key;
  if (ordering.empty()) {
    ordering = detail::run_ordering_key(event.run_url, event.build_id, event.group_id.value_or(""));
  }
  return impl_->enqueue(project_id, event.type, to_json(event), std::move(ordering), idempotency_key);
}

Result<NotifyReceipt> Notifier::notify(std::string_view project_id, const Event& event,
                                       std::string_view idempotency_key) {
  // The cap first: a huge payload is refused before it is parsed.
  if (auto fits = impl_->check_payload_size(event.json.size()); !fits) return std::move(fits).error();
  auto derived = detail::custom_payload_ordering_key(event.json);
  if (!derived) return std::move(derived).error();
  std::string ordering = event.ordering_key.empty() ? std::move(*derived) : event.ordering_key;
  return impl_->enqueue(project_id, event.type, event.json, std::move(ordering), idempotency_key);
}

FlushResult Notifier::flush(std::chrono::milliseconds timeout) {
  if (impl_->loops_.empty()) return FlushResult::stopped;
  if (impl_->on_delivery_thread()) return FlushResult::timed_out;  // it would wait on itself
  timeout = detail::capped(timeout);
  // Every thread must be idle; they share one deadline.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& loop : impl_->loops_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const FlushResult result = loop->flush(std::max(left, std::chrono::milliseconds(0)));
    if (result != FlushResult::idle) return result;
  }
  return FlushResult::idle;
}

void Notifier::stop(std::chrono::milliseconds deadline) {
  for (auto& loop : impl_->loops_) loop->request_stop(deadline);
  // From a callback, joining would wait on the thread running it (or on
  // another loop whose callback waits on this one): only ask.
  if (impl_->on_delivery_thread()) return;
  for (auto& loop : impl_->loops_) loop->join();
}

Result<Delivery> Notifier::redeliver(std::string_view delivery_id) {
  auto rescheduled =
      impl_->storage_->reschedule_delivery(delivery_id, impl_->clock_->now(), AttemptTrigger::manual);
  if (rescheduled) impl_->wake();
  return rescheduled;
}

NotifierStats Notifier::stats() const {
  const auto& c = impl_->counters_;
  NotifierStats s;
  s.notified = c.notified;
  s.attempts = c.attempts;
  s.succeeded = c.succeeded;
  s.failed = c.failed;
  s.retried = c.retried;
  for (const auto& loop : impl_->loops_) s.in_flight += loop->in_flight();
  s.storage_errors = c.storage_errors;
  return s;
}

}  // namespace runhooks
