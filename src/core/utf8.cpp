#include "core/utf8.hpp"

namespace runhooks::detail {

namespace {

// A sequence as its first byte announces it: its length, and the range its
// second byte must fall in. The narrowed ranges after E0, ED, F0 and F4 are
// what rule out overlong forms, surrogates and code points above U+10FFFF.
struct Sequence {
  std::size_t length = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
};

// RFC 3629 §4, the UTF8-char rule, one row per alternative.
std::optional<Sequence> sequence_started_by(unsigned char byte) {
  if (byte <= 0x7F) return Sequence{1};
  if (byte >= 0xC2 && byte <= 0xDF) return Sequence{2};
  if (byte == 0xE0) return Sequence{3, 0xA0, 0xBF};
  if (byte == 0xED) return Sequence{3, 0x80, 0x9F};
  if (byte >= 0xE1 && byte <= 0xEF) return Sequence{3};
  if (byte == 0xF0) return Sequence{4, 0x90, 0xBF};
  if (byte >= 0xF1 && byte <= 0xF3) return Sequence{4};
  if (byte == 0xF4) return Sequence{4, 0x80, 0x8F};
  return std::nullopt;  // a continuation byte, C0, C1 or F5 to FF
}

bool in_range(unsigned char byte, unsigned char min, unsigned char max) {
  return byte >= min && byte <= max;
}

// The length of the character `text` starts with, or 0 when it starts with
// no valid one.
std::size_t first_character_length(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const auto sequence = sequence_started_by(byte(0));
  if (!sequence || text.size() < sequence->length) return 0;
  if (sequence->length == 1) return 1;
  if (!in_range(byte(1), sequence->second_min, sequence->second_max)) return 0;
  for (std::size_t i = 2; i < sequence->length; ++i) {
    if (!in_range(byte(i), 0x80, 0xBF)) return 0;
  }
  return sequence->length;
}

}  // namespace

std::optional<std::size_t> count_utf8_characters(std::string_view text) {
  std::size_t count = 0;
  while (!text.empty()) {
    const std::size_t length = first_character_length(text);
    if (length == 0) return std::nullopt;
    text.remove_prefix(length);
    ++count;
  }
  return count;
}

bool is_valid_utf8(std::string_view text) { return count_utf8_characters(text).has_value(); }

std::string utf8_excerpt(std::string_view text, std::size_t max_characters) {
  std::string excerpt;
  for (std::size_t count = 0; count < max_characters && !text.empty(); ++count) {
    const std::size_t length = first_character_length(text);
    excerpt += length == 0 ? std::string_view("\xEF\xBF\xBD") : text.substr(0, length);
    text.remove_prefix(length == 0 ? 1 : length);
  }
  return excerpt;
}

}  // namespace runhooks::detail
