#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace runhooks::detail {

/// The number of Unicode characters in `text`, or nothing when it is not
/// valid UTF-8 (overlong forms, surrogates and stray bytes are invalid).
std::optional<std::size_t> count_utf8_characters(std::string_view text);

}  // namespace runhooks::detail
