#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace runhooks::detail {

/// The number of Unicode characters (code points) in `text`, or nothing when
/// it is not UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates
/// (U+D800 to U+DFFF), nothing above U+10FFFF, no sequence cut short, no
/// stray continuation byte. A byte-order mark is a character like any other.
std::optional<std::size_t> count_utf8_characters(std::string_view text);

/// True when `text` is valid UTF-8 (see count_utf8_characters).
bool is_valid_utf8(std::string_view text);

/// At most `max_characters` characters of `text`, to quote it in a message:
/// each byte that starts no valid character (see count_utf8_characters)
/// becomes U+FFFD, so the excerpt is valid UTF-8 whatever `text` holds.
std::string utf8_excerpt(std::string_view text, std::size_t max_characters);

}  // namespace runhooks::detail
