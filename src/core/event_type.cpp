#include <runhooks/event_type.hpp>

namespace runhooks {

std::string_view to_string(EventType type) noexcept {
  switch (type) {
    case EventType::run_start: return "RUN_START";
    case EventType::run_finish: return "RUN_FINISH";
    case EventType::run_timeout: return "RUN_TIMEOUT";
    case EventType::run_canceled: return "RUN_CANCELED";
  }
  return "RUN_FINISH";
}

std::optional<EventType> parse_event_type(std::string_view name) noexcept {
  for (EventType type : kAllEventTypes) {
    if (to_string(type) == name) return type;
  }
  return std::nullopt;
}

}  // namespace runhooks
