// Errors, results, time formatting and event names, through the public API.

#include <runhooks/runhooks.hpp>

#include <catch2/catch.hpp>

#include <chrono>

using namespace runhooks;
using namespace std::chrono_literals;

TEST_CASE("error codes map one to one onto HTTP statuses", "[core]") {
  CHECK(http_status(ErrorCode::invalid_argument) == 400);
  CHECK(http_status(ErrorCode::unauthenticated) == 401);
  CHECK(http_status(ErrorCode::permission_denied) == 403);
  CHECK(http_status(ErrorCode::not_found) == 404);
  CHECK(http_status(ErrorCode::conflict) == 409);
  CHECK(http_status(ErrorCode::internal) == 500);
  CHECK(http_status(ErrorCode::unavailable) == 503);
  CHECK(Error::invalid("url", "url must be at most 2048 characters").to_string() ==
        "invalid_argument: url must be at most 2048 characters");
}

TEST_CASE("Result holds a value or an error", "[core]") {
  Result<int> good = 42;
  REQUIRE(good);
  CHECK(*good == 42);
  Result<int> bad = Error::not_found();
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::not_found);
  CHECK(bad.error().message == "Not found");
  Result<void> fine;
  CHECK(fine.ok());
  Result<void> failed = Error::invalid("label", "no");
  CHECK(failed.error().field == "label");
}

TEST_CASE("timestamps print as millisecond ISO-8601 UTC", "[core]") {
  CHECK(format_iso8601(Timestamp(0ms)) == "1970-01-01T00:00:00.000Z");
  CHECK(format_iso8601(Timestamp(1795759200123ms)) == "2026-11-27T06:00:00.123Z");
  CHECK(format_iso8601(Timestamp(-1ms)) == "1969-12-31T23:59:59.999Z");
  const auto now = Clock::system().now();
  CHECK(std::chrono::abs(now.time_since_epoch() -
                         std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())) < 5s);
}

TEST_CASE("ISO-8601 date-times are read to the millisecond, offsets applied", "[core]") {
  auto at = [](const char* text) {
    auto parsed = parse_iso8601(text, "since");
    REQUIRE(parsed);
    return parsed->time_since_epoch().count();
  };
  CHECK(at("2026-11-27T06:00:00Z") == 1795759200000);
  CHECK(at("2026-11-27T06:00:00.123Z") == 1795759200123);
  CHECK(at("2026-11-27t06:00:00.1234567z") == 1795759200123);  // extra digits cut, not rounded
  CHECK(at("2026-11-27T07:30:00+01:30") == 1795759200000);
  CHECK(at("2026-11-27T00:00:00-06:00") == 1795759200000);
  CHECK(at("1970-01-01T00:00:00Z") == 0);
  CHECK(at("2024-02-29T00:00:00Z") == 1709164800000);
  CHECK(format_iso8601(Timestamp(std::chrono::milliseconds(at("2026-11-27T06:00:00.5Z")))) ==
        "2026-11-27T06:00:00.500Z");
  for (const char* bad : {"", "2026-11-27", "2026-11-27T06:00:00", "2026-11-27 06:00:00Z", "2026-13-01T00:00:00Z",
                          "2025-02-29T00:00:00Z", "2026-11-27T24:00:00Z", "2026-11-27T06:00:00.Z",
                          "2026-11-27T06:00:00+0100", "1969-12-31T23:59:59Z", "2026-11-27T06:00:00Zjunk",
                          "yesterday", "２026-11-27T06:00:00Z"}) {
    auto parsed = parse_iso8601(bad, "since");
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code == ErrorCode::invalid_argument);
    CHECK(parsed.error().field == "since");
    CHECK(parsed.error().message == "since must be an ISO-8601 date-time such as 2026-11-27T06:00:00Z");
  }
}

TEST_CASE("event names round-trip exactly", "[core]") {
  for (EventType type : kAllEventTypes) {
    CHECK(parse_event_type(to_string(type)) == type);
  }
  CHECK(to_string(EventType::run_canceled) == "RUN_CANCELED");
  CHECK_FALSE(parse_event_type("run_start"));
  CHECK_FALSE(parse_event_type("RUN_CANCELLED"));
  CHECK_FALSE(parse_event_type(""));
  CHECK_FALSE(is_terminal(EventType::run_start));
  CHECK(is_terminal(EventType::run_timeout));
}
