#pragma once
// Texts that are not valid UTF-8 (RFC 3629), for every input that takes text.

#include <string>
#include <vector>

namespace runhooks::test {

struct BadText {
  std::string what;  ///< for INFO
  std::string text;
};

/// `prefix + suffix` spoiled in each way RFC 3629 forbids: a stray byte of a
/// byte-order mark at the start (the bytes RapidJSON skips), an overlong
/// form, an encoded surrogate, a code point above U+10FFFF or a lone
/// continuation byte between the two, a sequence cut short at the end.
inline std::vector<BadText> with_invalid_utf8(const std::string& prefix, const std::string& suffix) {
  const std::string text = prefix + suffix;
  const auto between = [&](const std::string& bytes) { return prefix + bytes + suffix; };
  return {
      {"stray 0xBB at the start", "\xbb" + text},
      {"0xEF 0xBB alone at the start", "\xef\xbb" + text},
      {"overlong 0xC0 0xAF", between("\xc0\xaf")},
      {"overlong 0xE0 0x80 0xAF", between("\xe0\x80\xaf")},
      {"encoded surrogate 0xED 0xA0 0x80", between("\xed\xa0\x80")},
      {"above U+10FFFF: 0xF4 0x90 0x80 0x80", between("\xf4\x90\x80\x80")},
      {"truncated sequence at the end", text + "\xe2\x82"},
      {"lone continuation byte", between("\x80")},
  };
}

}  // namespace runhooks::test
