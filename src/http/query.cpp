#include "http/query.hpp"

#include <algorithm>

namespace runhooks::detail {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%') {
      const int high = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
      const int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

}  // namespace

bool well_formed_path(std::string_view path) {
  return std::none_of(path.begin(), path.end(), [](char c) { return is_control(static_cast<unsigned char>(c)); });
}

bool well_formed_query(std::string_view query) {
  for (std::size_t i = 0; i < query.size(); ++i) {
    if (is_control(static_cast<unsigned char>(query[i]))) return false;
    if (query[i] != '%') continue;
    const int high = i + 1 < query.size() ? hex_value(query[i + 1]) : -1;
    const int low = i + 2 < query.size() ? hex_value(query[i + 2]) : -1;
    if (high < 0 || low < 0 || is_control(static_cast<unsigned char>(high * 16 + low))) return false;
    i += 2;
  }
  return true;
}

std::optional<std::string> query_parameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq));
    if (!key || *key != name) continue;
    return percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
  }
  return std::nullopt;
}

Result<std::size_t> query_number(std::string_view query, std::string_view name, std::size_t min,
                                 std::size_t max, std::size_t fallback) {
  const auto text = query_parameter(query, name);
  if (!text) return fallback;
  std::size_t value = 0;
  bool valid = !text->empty() && text->size() <= 9;
  for (const char c : *text) {
    valid = valid && c >= '0' && c <= '9';
    if (valid) value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  if (valid && value >= min && value <= max) return value;
  const std::string field(name);
  return Error::invalid(field, field + " must be a whole number from " + std::to_string(min) + " to " +
                                   std::to_string(max));
}

}  // namespace runhooks::detail
