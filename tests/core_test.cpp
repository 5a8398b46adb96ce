// Errors, time formatting, events, encodings, ids and secrets.

#include <runhooks/runhooks.hpp>

#include "core/encoding.hpp"
#include "core/random.hpp"
#include "core/utf8.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <regex>
#include <set>
#include <string_view>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

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

TEST_CASE("base64, hex and SHA-256 match their standards", "[core]") {
  using namespace runhooks::detail;
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_decode("Zg==") == std::string("f"));
  CHECK(base64_decode("Zm8=") == std::string("fo"));
  CHECK(base64_decode("Zm9vYmFy") == std::string("foobar"));
  CHECK_FALSE(base64_decode("Zm9"));
  CHECK_FALSE(base64_decode("Z!==").has_value());
  CHECK(hex_encode(std::string("\x00\xff\x10", 3)) == "00ff10");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("UTF-8 characters are counted, invalid sequences refused", "[core]") {
  using runhooks::detail::count_utf8_characters;
  CHECK(count_utf8_characters("") == 0u);
  CHECK(count_utf8_characters("abc") == 3u);
  CHECK(count_utf8_characters("h\xc3\xa9llo") == 5u);             // é
  CHECK(count_utf8_characters("\xf0\x9f\x9a\x80") == 1u);         // rocket, 4 bytes
  CHECK_FALSE(count_utf8_characters("\xc3"));                     // truncated
  CHECK_FALSE(count_utf8_characters("\xc0\x80"));                 // overlong NUL
  CHECK_FALSE(count_utf8_characters("\xed\xa0\x80"));             // surrogate
  CHECK_FALSE(count_utf8_characters("\xff"));
  CHECK_FALSE(count_utf8_characters("ok\x80"));                   // stray continuation
  CHECK(count_utf8_characters("\xef\xbb\xbf" "a") == 2u);           // a BOM is a character
  CHECK_FALSE(count_utf8_characters("\xbb{}"));                   // a stray byte of one is not
  CHECK_FALSE(count_utf8_characters("\xef\xbb{}"));
}

namespace {

// The reference: UTF-8 encoded by arithmetic (RFC 3629 §3), with no table.
std::string encode_utf8(char32_t c) {
  const auto byte = [](char32_t b) { return static_cast<char>(b); };
  if (c < 0x80) return {byte(c)};
  if (c < 0x800) return {byte(0xC0 | c >> 6), byte(0x80 | (c & 0x3F))};
  if (c < 0x10000) return {byte(0xE0 | c >> 12), byte(0x80 | (c >> 6 & 0x3F)), byte(0x80 | (c & 0x3F))};
  return {byte(0xF0 | c >> 18), byte(0x80 | (c >> 12 & 0x3F)), byte(0x80 | (c >> 6 & 0x3F)),
          byte(0x80 | (c & 0x3F))};
}

std::uint32_t pack(std::string_view bytes) {
  std::uint32_t packed = 0;
  for (char b : bytes) packed = packed << 8 | static_cast<unsigned char>(b);
  return packed;
}

// Every sequence that encodes a Unicode scalar value (all code points but
// the surrogates): up to three bytes in a bitmap by packed value, four-byte
// ones sorted.
struct Encodings {
  std::vector<std::uint8_t> short_ones[4] = {{}, std::vector<std::uint8_t>(1 << 8),
                                             std::vector<std::uint8_t>(1 << 16),
                                             std::vector<std::uint8_t>(1 << 24)};
  std::vector<std::uint32_t> four_bytes;

  Encodings() {
    for (char32_t c = 0; c <= 0x10FFFF; ++c) {
      if (c >= 0xD800 && c <= 0xDFFF) continue;
      const std::string bytes = encode_utf8(c);
      if (bytes.size() < 4) short_ones[bytes.size()][pack(bytes)] = 1;
      else four_bytes.push_back(pack(bytes));
    }
  }
  bool contains(std::string_view bytes) const {
    if (bytes.size() < 4) return short_ones[bytes.size()][pack(bytes)] != 0;
    return std::binary_search(four_bytes.begin(), four_bytes.end(), pack(bytes));
  }
  // How many scalar values `text` is a concatenation of encodings of, if it is one.
  std::optional<std::size_t> count(std::string_view text) const {
    if (text.empty()) return 0;
    for (std::size_t n = 1; n <= std::min<std::size_t>(4, text.size()); ++n) {
      if (!contains(text.substr(0, n))) continue;
      if (auto rest = count(text.substr(n))) return *rest + 1;
    }
    return std::nullopt;
  }
};

}  // namespace

TEST_CASE("the UTF-8 validator agrees with RFC 3629 on every short sequence", "[core][utf8]") {
  using runhooks::detail::count_utf8_characters;
  const Encodings reference;
  // Every scalar value is one character; no surrogate is.
  for (char32_t c = 0; c <= 0x10FFFF; ++c) {
    const bool surrogate = c >= 0xD800 && c <= 0xDFFF;
    if (count_utf8_characters(encode_utf8(c)) != (surrogate ? std::nullopt : std::optional<std::size_t>(1))) {
      FAIL_CHECK("code point " << std::hex << static_cast<std::uint32_t>(c));
    }
  }
  CHECK_FALSE(count_utf8_characters(encode_utf8(0x110000)));
  // Every sequence of one, two and three bytes, and four-byte ones with every
  // first two bytes: each is judged as the reference judges it.
  std::size_t mismatches = 0;
  const auto judge = [&](std::string_view text) {
    if (count_utf8_characters(text) != reference.count(text) && ++mismatches <= 10) {
      FAIL_CHECK("bytes " << runhooks::detail::hex_encode(text));
    }
  };
  char bytes[4];
  for (int a = 0; a < 256; ++a) {
    bytes[0] = static_cast<char>(a);
    judge({bytes, 1});
    for (int b = 0; b < 256; ++b) {
      bytes[1] = static_cast<char>(b);
      judge({bytes, 2});
      for (int c = 0; c < 256; ++c) {
        bytes[2] = static_cast<char>(c);
        judge({bytes, 3});
      }
      for (int c : {0x00, 0x7F, 0x80, 0x8F, 0x90, 0xBF, 0xC0, 0xFF}) {
        bytes[2] = static_cast<char>(c);
        for (int d : {0x00, 0x7F, 0x80, 0xBF, 0xC0, 0xFF}) {
          bytes[3] = static_cast<char>(d);
          judge({bytes, 4});
        }
      }
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("ids are UUID v4 and secrets are whsec_ + 24 random bytes", "[core]") {
  const std::regex uuid_v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto id = runhooks::detail::random_uuid();
    REQUIRE(id);
    CHECK(std::regex_match(*id, uuid_v4));
    seen.insert(*id);
  }
  CHECK(seen.size() == 200);
  auto secret = runhooks::detail::new_signing_secret();
  REQUIRE(secret);
  REQUIRE(secret->rfind("whsec_", 0) == 0);
  const auto key = runhooks::detail::base64_decode(secret->substr(6));
  REQUIRE(key);
  CHECK(key->size() == 24);
}

TEST_CASE("time-ordered ids sort by time and carry version 7", "[core]") {
  const std::regex uuid_v7("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  const auto early = runhooks::detail::time_ordered_uuid(1'700'000'000'000);
  const auto late = runhooks::detail::time_ordered_uuid(1'700'000'000'001);
  REQUIRE(early);
  REQUIRE(late);
  CHECK(std::regex_match(*early, uuid_v7));
  CHECK(early->substr(0, 13) == "018bcfe5-6800");  // 48 bits of milliseconds
  CHECK(*early < *late);
}

TEST_CASE("time-ordered ids made in one millisecond still sort in the order they were made", "[core]") {
  // Ids in order append to an index's last page instead of random pages.
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  std::string previous = runhooks::detail::time_ordered_uuid(now).value();
  for (int i = 0; i < 10'000; ++i) {  // more than the 12-bit counter holds: it carries into the time
    const std::string next = runhooks::detail::time_ordered_uuid(now).value();
    REQUIRE(previous < next);
    previous = next;
  }
  // An id for a time well in the past keeps its own time.
  const auto old = runhooks::detail::time_ordered_uuid(1'700'000'000'000);
  REQUIRE(old);
  CHECK(old->substr(0, 13) == "018bcfe5-6800");
  // A time far ahead (a caller's mistake) does not hold back the ids after it.
  REQUIRE(runhooks::detail::time_ordered_uuid(now + 86'400'000));
  const std::string after = runhooks::detail::time_ordered_uuid(now + 10).value();
  CHECK(previous < after);
}

TEST_CASE("a forked child does not repeat the parent's ids", "[core]") {
  (void)runhooks::detail::random_uuid();  // the parent holds a block of entropy
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const std::string id = runhooks::detail::random_uuid().value_or("");
    (void)!write(fds[1], id.data(), id.size());
    _exit(0);
  }
  close(fds[1]);
  char buffer[64] = {};
  const ssize_t n = read(fds[0], buffer, sizeof buffer);
  close(fds[0]);
  waitpid(child, nullptr, 0);
  REQUIRE(n == 36);
  CHECK(std::string(buffer, 36) != runhooks::detail::random_uuid().value());
}
