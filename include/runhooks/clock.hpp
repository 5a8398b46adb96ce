#pragma once
/// Time as runhooks stores it, and the clock it reads (injectable for tests).

#include <runhooks/error.hpp>
#include <runhooks/export.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace runhooks {

/// A UTC instant with millisecond precision: what storage keeps and the wire
/// format prints, so a value survives a round trip through any backend.
using Timestamp =
    std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

/// Where runhooks reads the time. Implementations must be thread-safe.
class RUNHOOKS_EXPORT Clock {
 public:
  virtual ~Clock();
  virtual Timestamp now() const = 0;

  /// The system clock. Never destroyed; safe to use from any thread.
  static const Clock& system();
};

/// `2026-11-27T06:00:00.000Z`: ISO-8601, UTC, milliseconds, as on the wire.
RUNHOOKS_EXPORT std::string format_iso8601(Timestamp t);

/// Reads an RFC 3339 date-time, `2026-11-27T06:00:00Z`, with optional
/// fractional seconds (kept to the millisecond) and `Z` or an offset
/// (`+01:00`); `t` may be lowercase. Years 1970 to 9999. Anything else is
/// `invalid_argument` naming `field`.
RUNHOOKS_EXPORT Result<Timestamp> parse_iso8601(std::string_view text, std::string_view field);

}  // namespace runhooks
