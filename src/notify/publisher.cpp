// Publisher: validate what the application gives, store it with its
// deliveries, and read the history back.

#include <runhooks/publisher.hpp>
#include <runhooks/validation.hpp>

#include "core/random.hpp"
#include "core/utf8.hpp"
#include "model/stored_text.hpp"
#include "notify/payload.hpp"
#include "notify/sample_event.hpp"

#include <atomic>

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

class Publisher::Impl {
 public:
  Impl(std::shared_ptr<Storage> storage, PublisherOptions options)
      : storage_(std::move(storage)), options_(std::move(options)) {}

  Result<NotifyReceipt> enqueue(std::string_view project_id, EventType type, std::string payload,
                                std::string ordering_key, std::string_view idempotency_key);
  Result<void> check_payload_size(std::size_t bytes) const;
  Result<OutboxEvent> new_event(std::string project_id, EventType type, std::string payload) const;
  Result<Webhook> enabled_hook(std::string_view hook_id) const;
  bool was_test_send(const std::string& delivery_id) const;
  void stored() const {
    if (options_.on_stored) options_.on_stored();
  }
  Timestamp now() const { return (options_.clock ? *options_.clock : Clock::system()).now(); }

  std::shared_ptr<Storage> storage_;
  PublisherOptions options_;
  std::atomic<std::uint64_t> notified_{0};
};

Publisher::Publisher(std::shared_ptr<Storage> storage, PublisherOptions options)
    : impl_(std::make_unique<Impl>(std::move(storage), std::move(options))) {}

Publisher::~Publisher() = default;

std::uint64_t Publisher::notified() const { return impl_->notified_; }

Result<NotifyReceipt> Publisher::notify(std::string_view project_id, const RunEvent& event,
                                        std::string_view idempotency_key) {
  if (auto valid = detail::validate_run_event_text(event); !valid) return std::move(valid).error();
  std::string ordering = event.ordering_key;
  if (ordering.empty()) {
    ordering = detail::run_ordering_key(event.run_url, event.build_id, event.group_id.value_or(""));
  }
  return impl_->enqueue(project_id, event.type, to_json(event), std::move(ordering), idempotency_key);
}

Result<NotifyReceipt> Publisher::notify(std::string_view project_id, const Event& event,
                                        std::string_view idempotency_key) {
  // The cap first: a huge payload is refused before it is parsed.
  if (auto fits = impl_->check_payload_size(event.json.size()); !fits) return std::move(fits).error();
  auto derived = detail::custom_payload_ordering_key(event.json);
  if (!derived) return std::move(derived).error();
  std::string ordering = event.ordering_key.empty() ? std::move(*derived) : event.ordering_key;
  return impl_->enqueue(project_id, event.type, event.json, std::move(ordering), idempotency_key);
}

Result<NotifyReceipt> Publisher::Impl::enqueue(std::string_view project_id, EventType type, std::string payload,
                                         std::string ordering_key, std::string_view idempotency_key) {
  if (auto valid = validate_project_id(project_id); !valid) return std::move(valid).error();
  if (auto fits = check_payload_size(payload.size()); !fits) return std::move(fits).error();
  if (auto valid = validate_keys(ordering_key, idempotency_key); !valid) return std::move(valid).error();
  auto event = new_event(std::string(project_id), type, std::move(payload));
  if (!event) return std::move(event).error();
  event->idempotency_key = std::string(idempotency_key);
  event->ordering_key = std::move(ordering_key);
  auto stored = storage_->enqueue(*event);
  if (!stored) return std::move(stored).error();
  if (!stored->duplicate) ++notified_;
  if (!stored->delivery_ids.empty()) this->stored();
  return NotifyReceipt{std::move(stored->event_id), std::move(stored->delivery_ids), stored->duplicate};
}

Result<void> Publisher::Impl::check_payload_size(std::size_t bytes) const {
  if (bytes <= options_.max_payload_bytes) return {};
  return Error::invalid("payload", "payload must be at most " + std::to_string(options_.max_payload_bytes) +
                                       " bytes (max_payload_bytes), got " + std::to_string(bytes));
}

Result<OutboxEvent> Publisher::Impl::new_event(std::string project_id, EventType type, std::string payload) const {
  const Timestamp at = now();
  auto event_id = detail::time_ordered_uuid(at.time_since_epoch().count());
  if (!event_id) return std::move(event_id).error();
  OutboxEvent event;
  event.event_id = std::move(*event_id);
  event.project_id = std::move(project_id);
  event.type = type;
  event.payload = std::move(payload);
  event.created_at = at;
  return event;
}

bool Publisher::Impl::was_test_send(const std::string& delivery_id) const {
  auto latest = storage_->list_attempts(AttemptFilter{delivery_id, "", 1});
  return latest && !latest->empty() && latest->front().trigger == AttemptTrigger::test;
}

Result<Webhook> Publisher::Impl::enabled_hook(std::string_view hook_id) const {
  auto hook = storage_->get_hook(hook_id);
  if (!hook) return hook;
  if (!hook->enabled) return Error{ErrorCode::conflict, {}, "hook is disabled: enable it first"};
  return hook;
}

Result<Delivery> Publisher::redeliver(std::string_view delivery_id) {
  auto delivery = impl_->storage_->get_delivery(delivery_id);
  if (!delivery) return delivery;
  if (auto hook = impl_->enabled_hook(delivery->hook_id); !hook) return std::move(hook).error();
  auto rescheduled = impl_->storage_->reschedule_delivery(delivery_id, impl_->now(), AttemptTrigger::manual);
  if (rescheduled) impl_->stored();
  return rescheduled;
}

Result<NotifyReceipt> Publisher::send_test(std::string_view hook_id, EventType type) {
  auto hook = impl_->storage_->get_hook(hook_id);
  if (!hook) return std::move(hook).error();
  auto event = impl_->new_event(hook->project_id, type, to_json(detail::sample_run_event(type)));
  if (!event) return std::move(event).error();
  auto stored = impl_->storage_->enqueue_to_hook(*event, hook_id, AttemptTrigger::test);
  if (!stored) return std::move(stored).error();
  impl_->stored();
  return NotifyReceipt{std::move(stored->event_id), std::move(stored->delivery_ids), false};
}

Result<std::size_t> Publisher::recover(std::string_view hook_id, Timestamp since) {
  if (auto hook = impl_->enabled_hook(hook_id); !hook) return std::move(hook).error();
  // Page by page, each redelivery its own short transaction: a notify is
  // never held up behind a big recovery. A redelivered one leaves the
  // failed set but stays stored, so it still marks where the next page starts.
  DeliveryFilter filter;
  filter.hook_id = std::string(hook_id);
  filter.status = DeliveryStatus::failed;
  filter.completed_since = since;
  filter.limit = 100;
  std::size_t recovered = 0;
  for (;;) {
    auto page = impl_->storage_->list_deliveries(filter);
    if (!page) return std::move(page).error();
    const Timestamp at = impl_->now();
    for (const Delivery& failed : *page) {
      if (impl_->was_test_send(failed.delivery_id)) continue;  // a check, not something the receiver missed
      auto rescheduled = impl_->storage_->reschedule_delivery(failed.delivery_id, at, AttemptTrigger::manual);
      if (!rescheduled && rescheduled.error().code != ErrorCode::not_found) return std::move(rescheduled).error();
      if (rescheduled) ++recovered;
    }
    if (recovered > 0) impl_->stored();
    if (page->size() < filter.limit) return recovered;
    filter.after_delivery_id = page->back().delivery_id;
  }
}

Result<Delivery> Publisher::delivery(std::string_view delivery_id) const {
  return impl_->storage_->get_delivery(delivery_id);
}

Result<std::vector<Delivery>> Publisher::deliveries(const DeliveryFilter& filter) const {
  return impl_->storage_->list_deliveries(filter);
}

Result<std::vector<Attempt>> Publisher::attempts(const AttemptFilter& filter) const {
  return impl_->storage_->list_attempts(filter);
}

Result<OutboxEvent> Publisher::event(std::string_view event_id) const { return impl_->storage_->get_event(event_id); }

}  // namespace runhooks
