#pragma once
// A request body read as a JSON object, the way every route of the API
// reads one.

#include <runhooks/error.hpp>

#include <rapidjson/document.h>

#include <string_view>

namespace runhooks::detail {

/// `body` parsed as a JSON object, or `invalid_argument` on field "body":
/// not UTF-8, a NUL, a leading byte-order mark (RapidJSON would skip one),
/// not JSON (with the parser's reason and offset), or not an object.
/// Iterative, so deep nesting cannot exhaust the stack.
Result<rapidjson::Document> parse_json_body(std::string_view body);

/// The string value of a member, as a view of the document.
inline std::string_view string_view_of(const rapidjson::Value& value) {
  return {value.GetString(), value.GetStringLength()};
}

}  // namespace runhooks::detail
