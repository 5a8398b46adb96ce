#pragma once
// The query string of a request.

#include <optional>
#include <string>
#include <string_view>

namespace runhooks::detail {

/// The percent-decoded value of parameter `name` in `query` ("a=1&b=x%20y"),
/// `+` read as a space; nothing when absent or badly encoded.
std::optional<std::string> query_parameter(std::string_view query, std::string_view name);

}  // namespace runhooks::detail
