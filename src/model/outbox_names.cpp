#include <runhooks/outbox.hpp>

namespace runhooks {

const char* to_string(DeliveryStatus status) noexcept {
  switch (status) {
    case DeliveryStatus::pending: return "pending";
    case DeliveryStatus::succeeded: return "succeeded";
    case DeliveryStatus::failed: return "failed";
  }
  return "pending";
}

const char* to_string(AttemptTrigger trigger) noexcept {
  switch (trigger) {
    case AttemptTrigger::scheduled: return "scheduled";
    case AttemptTrigger::manual: return "manual";
    case AttemptTrigger::test: return "test";
  }
  return "scheduled";
}

const char* to_string(AttemptErrorClass error_class) noexcept {
  switch (error_class) {
    case AttemptErrorClass::none: return "none";
    case AttemptErrorClass::http_status: return "http_status";
    case AttemptErrorClass::timeout: return "timeout";
    case AttemptErrorClass::connect: return "connect";
    case AttemptErrorClass::dns: return "dns";
    case AttemptErrorClass::tls: return "tls";
    case AttemptErrorClass::blocked_by_policy: return "blocked_by_policy";
    case AttemptErrorClass::other: return "other";
  }
  return "other";
}

}  // namespace runhooks
