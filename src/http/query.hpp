#pragma once
// The target of a request: its path and its query string.

#include <runhooks/error.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace runhooks::detail {

/// The percent-decoded value of parameter `name` in `query` ("a=1&b=x%20y"),
/// `+` read as a space; nothing when absent or badly encoded.
std::optional<std::string> query_parameter(std::string_view query, std::string_view name);

/// The whole number in parameter `name`, from `min` to `max`; `fallback`
/// when absent. Anything else is `invalid_argument` naming the parameter
/// and its range.
Result<std::size_t> query_number(std::string_view query, std::string_view name, std::size_t min,
                                 std::size_t max, std::size_t fallback);

/// Whether `path` (percent-decoded by the server) holds no control
/// character: a NUL would cut it short wherever it meets a C string.
bool well_formed_path(std::string_view path);

/// Whether every `%` in `query` starts a two-digit hex escape, and no byte
/// is a control character (raw or escaped: `%00` hides a NUL).
bool well_formed_query(std::string_view query);

}  // namespace runhooks::detail
