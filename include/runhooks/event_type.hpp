#pragma once
/// The run events a hook can subscribe to.

#include <runhooks/export.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace runhooks {

enum class EventType : std::uint8_t {
  run_start,     ///< RUN_START: a run started
  run_finish,    ///< RUN_FINISH: a run completed, passed or failed
  run_timeout,   ///< RUN_TIMEOUT: a run timed out
  run_canceled,  ///< RUN_CANCELED: a run was cancelled
};

inline constexpr std::array<EventType, 4> kAllEventTypes = {
    EventType::run_start, EventType::run_finish, EventType::run_timeout,
    EventType::run_canceled};

/// The wire name: "RUN_START", "RUN_FINISH", "RUN_TIMEOUT", "RUN_CANCELED".
RUNHOOKS_EXPORT std::string_view to_string(EventType type) noexcept;

/// The event named `name` exactly (case-sensitive, as on the wire), or nothing.
RUNHOOKS_EXPORT std::optional<EventType> parse_event_type(std::string_view name) noexcept;

/// True for the events that end a run: finish, timeout, cancel.
constexpr bool is_terminal(EventType type) noexcept {
  return type != EventType::run_start;
}

/// A set of event types as a bit mask; the empty set means "every event".
constexpr std::uint32_t event_bit(EventType type) noexcept {
  return 1u << static_cast<unsigned>(type);
}

}  // namespace runhooks
