#include <runhooks/clock.hpp>

#include <cstdio>
#include <ctime>

namespace runhooks {

Clock::~Clock() = default;

namespace {
class SystemClock final : public Clock {
 public:
  Timestamp now() const override {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  }
};
}  // namespace

const Clock& Clock::system() {
  static const SystemClock clock;
  return clock;
}

std::string format_iso8601(Timestamp t) {
  const auto ms_since_epoch = t.time_since_epoch().count();
  auto seconds = ms_since_epoch / 1000;
  auto millis = ms_since_epoch % 1000;
  if (millis < 0) {  // instants before 1970 round toward the past
    millis += 1000;
    seconds -= 1;
  }
  const std::time_t as_time_t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&as_time_t, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                utc.tm_min, utc.tm_sec, static_cast<int>(millis));
  return text;
}

}  // namespace runhooks
