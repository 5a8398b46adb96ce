// Notifier: a Publisher whose stores wake a Worker in the same process.

#include <runhooks/notifier.hpp>

#include <optional>

namespace runhooks {

class Notifier::Impl {
 public:
  Impl(std::shared_ptr<Storage> storage, const NotifierOptions& options)
      : publisher(storage, publisher_options(options, this)) {
    if (options.deliver) worker.emplace(std::move(storage), static_cast<const WorkerOptions&>(options));
  }

  static PublisherOptions publisher_options(const NotifierOptions& options, Impl* self) {
    PublisherOptions p;
    p.max_payload_bytes = options.max_payload_bytes;
    p.clock = options.clock;
    p.on_stored = [self] {
      if (self->worker) self->worker->wake();
    };
    return p;
  }

  Publisher publisher;
  std::optional<Worker> worker;
};

Notifier::Notifier(std::shared_ptr<Storage> storage, NotifierOptions options)
    : impl_(std::make_unique<Impl>(std::move(storage), options)) {}

Notifier::~Notifier() { stop(); }

Result<NotifyReceipt> Notifier::notify(std::string_view project_id, const RunEvent& event,
                                       std::string_view idempotency_key) {
  return impl_->publisher.notify(project_id, event, idempotency_key);
}

Result<NotifyReceipt> Notifier::notify(std::string_view project_id, const Event& event,
                                       std::string_view idempotency_key) {
  return impl_->publisher.notify(project_id, event, idempotency_key);
}

Result<Delivery> Notifier::redeliver(std::string_view delivery_id) {
  return impl_->publisher.redeliver(delivery_id);
}

FlushResult Notifier::flush(std::chrono::milliseconds timeout) {
  return impl_->worker ? impl_->worker->flush(timeout) : FlushResult::stopped;
}

void Notifier::stop(std::chrono::milliseconds deadline) {
  if (impl_->worker) impl_->worker->stop(deadline);
}

NotifierStats Notifier::stats() const {
  NotifierStats s;
  if (impl_->worker) static_cast<WorkerStats&>(s) = impl_->worker->stats();
  s.notified = impl_->publisher.notified();
  return s;
}

Publisher& Notifier::publisher() { return impl_->publisher; }

Worker* Notifier::worker() { return impl_->worker ? &*impl_->worker : nullptr; }

}  // namespace runhooks
