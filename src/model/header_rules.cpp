// The `headers` rule: a JSON object string of custom request headers.

#include <runhooks/validation.hpp>

#include "core/utf8.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <string>

namespace runhooks {

namespace {

Error headers_error(std::string message) {
  return Error::invalid("headers", std::move(message));
}

// RFC 9110 §5.6.2: token = 1*tchar.
bool is_tchar(unsigned char c) {
  // ASCII only, whatever the locale.
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return c < 0x80 && kSymbols.find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return is_tchar(static_cast<unsigned char>(c));
  });
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// docs/wire-format.md, The delivery request: what the sender sets itself,
// and hop-by-hop headers.
bool is_reserved(const std::string& lower_name) {
  static constexpr std::array<std::string_view, 14> kReserved = {
      "webhook-id", "webhook-timestamp", "webhook-signature", "content-type",
      "content-length", "host", "x-timestamp", "connection", "transfer-encoding",
      "te", "upgrade", "keep-alive", "trailer", "expect"};
  if (lower_name.rfind("proxy-", 0) == 0) return true;
  return std::find(kReserved.begin(), kReserved.end(), lower_name) != kReserved.end();
}

// CR and LF would split the header; the others have no place in one either
// (RFC 9110 §5.5). Horizontal tab is allowed.
bool has_control_character(std::string_view value) {
  return std::any_of(value.begin(), value.end(), [](char byte) {
    const auto c = static_cast<unsigned char>(byte);
    return (c < 0x20 && c != '\t') || c == 0x7F;
  });
}

Result<void> validate_value(std::string_view name, std::string_view value) {
  // The text was valid UTF-8, so an invalid value was spelled by an escape
  // of a lone surrogate, which the parser decodes without complaint.
  if (!detail::is_valid_utf8(value)) {
    return headers_error("header '" + std::string(name) +
                         "' value must not contain an unpaired surrogate (U+D800 to U+DFFF)");
  }
  if (has_control_character(value)) {
    return headers_error("header '" + std::string(name) +
                         "' value must not contain control characters (tab excepted)");
  }
  return {};
}

}  // namespace

Result<void> validate_headers(std::string_view headers) {
  // Before the parser sees it: RapidJSON skips any of the bytes EF, BB, BF at
  // the start as if they were a byte-order mark.
  const auto characters = detail::count_utf8_characters(headers);
  if (!characters) return headers_error("headers must be valid UTF-8");
  if (*characters > kMaxHeadersLength) {
    return headers_error("headers must be at most " + std::to_string(kMaxHeadersLength) +
                         " characters");
  }
  // The parser takes a NUL for the end of its input: text after one would
  // be stored unchecked. Iterative: deep nesting cannot exhaust the stack.
  if (headers.find('\0') != std::string_view::npos) {
    return headers_error("headers must not contain a NUL character");
  }
  // A whole byte-order mark is a character, which JSON does not allow before
  // a value; RapidJSON would skip it, and the string is kept as given.
  if (headers.substr(0, 3) == "\xEF\xBB\xBF") {
    return headers_error("headers must be a JSON object string: it starts with a byte-order mark");
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(headers.data(), headers.size());
  if (doc.HasParseError()) {
    return headers_error(std::string("headers must be a JSON object string: ") +
                         rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                         std::to_string(doc.GetErrorOffset()));
  }
  if (!doc.IsObject()) return headers_error("headers must be a JSON object string");

  std::set<std::string> seen;
  for (const auto& member : doc.GetObject()) {
    const std::string_view name(member.name.GetString(), member.name.GetStringLength());
    if (!is_token(name)) {
      return headers_error("header name '" + detail::utf8_excerpt(name, 64) +
                           "' is not a valid HTTP token");
    }
    std::string lower = lowercase(name);
    if (is_reserved(lower)) {
      return headers_error("header '" + std::string(name) + "' is reserved and cannot be set");
    }
    if (!seen.insert(lower).second) {
      return headers_error("header '" + std::string(name) +
                           "' appears more than once (names ignore case)");
    }
    if (!member.value.IsString()) {
      return headers_error("header '" + std::string(name) + "' must have a string value");
    }
    const std::string_view value(member.value.GetString(), member.value.GetStringLength());
    if (auto valid = validate_value(name, value); !valid) return valid;
  }
  return {};
}

}  // namespace runhooks
