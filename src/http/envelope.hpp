#pragma once
// The API's JSON envelopes: {"status":"OK","data":...} and
// {"status":"FAILED","error":"..."}.

#include <runhooks/error.hpp>
#include <runhooks/http_api.hpp>

#include <string>
#include <string_view>

namespace runhooks::detail {

/// `{"status":"OK","data":<data_json>}` with `status`.
ApiResponse ok_response(int status, std::string_view data_json);

/// `{"status":"OK","data":<data_json>,"nextCursor":<cursor or null>}`: a
/// page of a list; an empty cursor means the last page.
ApiResponse ok_page_response(std::string_view data_json, std::string_view next_cursor);

/// `{"status":"FAILED","error":<message>}` with `status`.
ApiResponse failed_response(int status, std::string_view message);

/// The answer for an Error: its HTTP status and a message fit to show a
/// client — invalid input says which field and why, prefixed "Invalid
/// request body: " when it came from the body; internal errors say nothing
/// of storage internals.
ApiResponse error_response(const Error& error, bool from_body);

/// `{"secret":"..."}` and the like: one string member as a JSON object.
std::string json_object_with(std::string_view name, std::string_view value);

}  // namespace runhooks::detail
