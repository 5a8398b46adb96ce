// The internal encodings: base64, hex, SHA-256 and the UTF-8 validator.

#include "core/encoding.hpp"
#include "core/utf8.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace runhooks;

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
