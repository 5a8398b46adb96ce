#include <runhooks/clock.hpp>

#include <algorithm>
#include <cstdint>
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
// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = year / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned shifted_month = month > 2 ? month - 3 : month + 9;  // March = 0
  const unsigned day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

bool leap(std::int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned days_in_month(std::int64_t year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && leap(year) ? 29 : kDays[month - 1];
}

// Reads exactly `width` digits at `pos`; advances past them.
bool digits(std::string_view text, std::size_t& pos, std::size_t width, unsigned& value) {
  if (pos + width > text.size()) return false;
  value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  pos += width;
  return true;
}

bool literal(std::string_view text, std::size_t& pos, char expected) {
  if (pos >= text.size() || text[pos] != expected) return false;
  ++pos;
  return true;
}

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

Result<Timestamp> parse_iso8601(std::string_view text, std::string_view field) {
  const auto refuse = [&] {
    return Error::invalid(std::string(field), std::string(field) +
                                                  " must be an ISO-8601 date-time such as 2026-11-27T06:00:00Z");
  };
  std::size_t pos = 0;
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(text, pos, 4, year) || !literal(text, pos, '-') || !digits(text, pos, 2, month) ||
      !literal(text, pos, '-') || !digits(text, pos, 2, day)) {
    return refuse();
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't')) return refuse();
  ++pos;
  if (!digits(text, pos, 2, hour) || !literal(text, pos, ':') || !digits(text, pos, 2, minute) ||
      !literal(text, pos, ':') || !digits(text, pos, 2, second)) {
    return refuse();
  }
  unsigned millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t fraction_digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (fraction_digits < 3) millis = millis * 10 + static_cast<unsigned>(text[pos] - '0');
      ++fraction_digits;
      ++pos;
    }
    if (fraction_digits == 0) return refuse();
    for (std::size_t i = fraction_digits; i < 3; ++i) millis *= 10;
  }
  int offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    unsigned offset_hours = 0, offset_mins = 0;
    if (!digits(text, pos, 2, offset_hours) || !literal(text, pos, ':') || !digits(text, pos, 2, offset_mins) ||
        offset_hours > 23 || offset_mins > 59) {
      return refuse();
    }
    offset_minutes = sign * static_cast<int>(offset_hours * 60 + offset_mins);
  } else {
    return refuse();
  }
  if (pos != text.size() || year < 1970 || month < 1 || month > 12 || day < 1 ||
      day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 60) {
    return refuse();
  }
  const std::int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                               std::min(second, 59u) - std::int64_t{offset_minutes} * 60;
  return Timestamp(std::chrono::milliseconds(seconds * 1000 + millis));
}

}  // namespace runhooks
