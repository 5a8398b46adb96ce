#pragma once
// The rule for free text that is stored but has no rule of its own (keys,
// labels of API keys, reasons): valid UTF-8 and no NUL, which PostgreSQL
// would cut the text at while SQLite kept it whole.

#include <runhooks/error.hpp>

#include <string_view>

namespace runhooks::detail {

/// `invalid_argument` on `field` when `text` is not valid UTF-8 or holds a NUL.
Result<void> validate_stored_text(std::string_view text, std::string_view field);

}  // namespace runhooks::detail
