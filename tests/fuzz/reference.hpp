#pragma once
// Independent references the fuzz targets hold runhooks against: a UTF-8
// decoder and a strict JSON parser (RFC 3629, RFC 8259), written from the
// RFCs and sharing no code with runhooks or RapidJSON. Slow and simple on
// purpose: when a target and its reference disagree, check the reference
// first.

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fuzz {

/// Stops the fuzzer with a message: libFuzzer records the input that did it.
[[noreturn]] inline void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz check failed: %s", what);
  if (!detail.empty()) std::fprintf(stderr, " [%.*s]", static_cast<int>(detail.size()), detail.data());
  std::fprintf(stderr, "\n");
  std::abort();
}

inline void check(bool condition, const char* what, std::string_view detail = {}) {
  if (!condition) fail(what, detail);
}

/// The code points of `text`, or nothing when it is not UTF-8 (RFC 3629 §3:
/// the shortest form only, no surrogates, nothing above U+10FFFF). Decodes by
/// the bit patterns of §3, not by RFC 3629's byte-range table.
inline std::optional<std::vector<char32_t>> decode_utf8(std::string_view text) {
  std::vector<char32_t> out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    char32_t cp = 0;
    std::size_t more = 0;
    char32_t smallest = 0;
    if (lead < 0x80) {
      cp = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      cp = lead & 0x1F; more = 1; smallest = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      cp = lead & 0x0F; more = 2; smallest = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      cp = lead & 0x07; more = 3; smallest = 0x10000;
    } else {
      return std::nullopt;
    }
    if (text.size() - i - 1 < more) return std::nullopt;
    for (std::size_t k = 1; k <= more; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < smallest || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return std::nullopt;
    out.push_back(cp);
    i += more + 1;
  }
  return out;
}

inline bool is_utf8(std::string_view text) { return decode_utf8(text).has_value(); }

/// A JSON value as RFC 8259 describes it. Strings are their decoded bytes:
/// an escaped surrogate pair becomes its UTF-8 character, an escaped lone
/// surrogate its three-byte (not UTF-8) encoding, flagged.
struct Json {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  std::string text;                              // string: decoded; number: as written
  bool lone_surrogate = false;                   // string: an escaped unpaired surrogate
  bool tame = true;                              // number: no exponent, <= 300 digits a part
  std::vector<Json> items;                       // array
  std::vector<std::pair<Json, Json>> members;    // object: name (a string) and value, in order

  /// The first member named `name` (what RapidJSON's FindMember finds), or null.
  const Json* member(std::string_view name) const {
    for (const auto& m : members) {
      if (m.first.text == name) return &m.second;
    }
    return nullptr;
  }
  std::size_t count(std::string_view name) const {
    std::size_t n = 0;
    for (const auto& m : members) n += m.first.text == name ? 1 : 0;
    return n;
  }
};

/// What parsing found: valid JSON, not JSON, or nesting too deep to tell.
struct JsonParse {
  enum class Status { valid, invalid, too_deep };
  Status status = Status::invalid;
  Json value;
  bool valid() const { return status == Status::valid; }
  bool invalid() const { return status == Status::invalid; }
  bool too_deep() const { return status == Status::too_deep; }  ///< nothing to compare: skip
};

namespace detail {

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  JsonParse parse() {
    JsonParse result;
    if (!is_utf8(text_)) return result;  // RFC 8259 §8.1: UTF-8, and no BOM (§8.1) either
    skip_space();
    if (!value(result.value, 0)) {
      result.status = too_deep_ ? JsonParse::Status::too_deep : JsonParse::Status::invalid;
      return result;
    }
    skip_space();
    result.status = pos_ == text_.size() ? JsonParse::Status::valid : JsonParse::Status::invalid;
    return result;
  }

 private:
  static constexpr int kMaxDepth = 2000;

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  bool eat(char c) {
    if (at_end() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool eat_word(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  void skip_space() {
    while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  static bool digit(char c) { return c >= '0' && c <= '9'; }

  bool value(Json& out, int depth) {
    if (depth > kMaxDepth) {
      too_deep_ = true;
      return false;
    }
    switch (peek()) {
      case '{': return object(out, depth);
      case '[': return array(out, depth);
      case '"': out.kind = Json::Kind::string; return string(out);
      case 't': out.kind = Json::Kind::boolean; out.text = "true"; return eat_word("true");
      case 'f': out.kind = Json::Kind::boolean; out.text = "false"; return eat_word("false");
      case 'n': out.kind = Json::Kind::null; return eat_word("null");
      default: out.kind = Json::Kind::number; return number(out);
    }
  }

  bool object(Json& out, int depth) {
    out.kind = Json::Kind::object;
    eat('{');
    skip_space();
    if (eat('}')) return true;
    while (true) {
      Json name;
      name.kind = Json::Kind::string;
      skip_space();
      if (peek() != '"' || !string(name)) return false;
      skip_space();
      if (!eat(':')) return false;
      skip_space();
      Json item;
      if (!value(item, depth + 1)) return false;
      out.members.emplace_back(std::move(name), std::move(item));
      skip_space();
      if (eat('}')) return true;
      if (!eat(',')) return false;
    }
  }

  bool array(Json& out, int depth) {
    out.kind = Json::Kind::array;
    eat('[');
    skip_space();
    if (eat(']')) return true;
    while (true) {
      skip_space();
      Json item;
      if (!value(item, depth + 1)) return false;
      out.items.push_back(std::move(item));
      skip_space();
      if (eat(']')) return true;
      if (!eat(',')) return false;
    }
  }

  bool number(Json& out) {
    const std::size_t start = pos_;
    eat('-');
    std::size_t digits = 0;
    if (eat('0')) {
      digits = 1;
    } else {
      while (digit(peek())) { ++pos_; ++digits; }
      if (digits == 0) return false;
    }
    if (digits > 300) out.tame = false;
    if (eat('.')) {
      std::size_t fraction = 0;
      while (digit(peek())) { ++pos_; ++fraction; }
      if (fraction == 0) return false;
      if (fraction > 300) out.tame = false;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      out.tame = false;
      if (peek() == '+' || peek() == '-') ++pos_;
      std::size_t exponent = 0;
      while (digit(peek())) { ++pos_; ++exponent; }
      if (exponent == 0) return false;
    }
    out.text = std::string(text_.substr(start, pos_ - start));
    return true;
  }

  static void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::optional<char32_t> hex4() {
    if (text_.size() - pos_ < 4) return std::nullopt;
    char32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<char32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<char32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<char32_t>(c - 'A' + 10);
      else return std::nullopt;
    }
    return v;
  }

  bool string(Json& out) {
    eat('"');
    while (true) {
      if (at_end()) return false;
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out.text += c;
        continue;
      }
      if (at_end()) return false;
      const char e = text_[pos_++];
      switch (e) {
        case '"': out.text += '"'; break;
        case '\\': out.text += '\\'; break;
        case '/': out.text += '/'; break;
        case 'b': out.text += '\b'; break;
        case 'f': out.text += '\f'; break;
        case 'n': out.text += '\n'; break;
        case 'r': out.text += '\r'; break;
        case 't': out.text += '\t'; break;
        case 'u': {
          auto cp = hex4();
          if (!cp) return false;
          if (*cp >= 0xD800 && *cp <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
            const std::size_t back = pos_;
            pos_ += 2;
            auto low = hex4();
            if (low && *low >= 0xDC00 && *low <= 0xDFFF) {
              append_utf8(out.text, 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00));
              break;
            }
            pos_ = back;  // not a pair: the high one stands alone
          }
          if (*cp >= 0xD800 && *cp <= 0xDFFF) out.lone_surrogate = true;
          append_utf8(out.text, *cp);
          break;
        }
        default: return false;
      }
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  bool too_deep_ = false;
};

}  // namespace detail

inline JsonParse parse_json(std::string_view text) { return detail::JsonParser(text).parse(); }

/// True when every number in `value` is one RapidJSON 1.1 reads without
/// complaint (it refuses values beyond a double's range, which RFC 8259
/// allows), so acceptance can be compared both ways.
inline bool all_numbers_tame(const Json& value) {
  if (value.kind == Json::Kind::number) return value.tame;
  for (const auto& item : value.items) {
    if (!all_numbers_tame(item)) return false;
  }
  for (const auto& member : value.members) {
    if (!all_numbers_tame(member.second)) return false;
  }
  return true;
}

/// True when a string or a member name in `value` holds an escaped lone surrogate.
inline bool any_lone_surrogate(const Json& value) {
  if (value.lone_surrogate) return true;
  for (const auto& item : value.items) {
    if (any_lone_surrogate(item)) return true;
  }
  for (const auto& member : value.members) {
    if (member.first.lone_surrogate || any_lone_surrogate(member.second)) return true;
  }
  return false;
}

/// Same shape, same strings and names in the same order; numbers are only
/// compared as numbers (a rewrite may spell them differently).
inline bool same_shape(const Json& a, const Json& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == Json::Kind::string) return a.text == b.text;
  if (a.kind == Json::Kind::boolean) return a.text == b.text;
  if (a.items.size() != b.items.size() || a.members.size() != b.members.size()) return false;
  for (std::size_t i = 0; i < a.items.size(); ++i) {
    if (!same_shape(a.items[i], b.items[i])) return false;
  }
  for (std::size_t i = 0; i < a.members.size(); ++i) {
    if (a.members[i].first.text != b.members[i].first.text) return false;
    if (!same_shape(a.members[i].second, b.members[i].second)) return false;
  }
  return true;
}

/// Splits `text` at the first `count` newlines: `count` lines and the rest.
inline std::vector<std::string_view> split_lines(std::string_view text, std::size_t count) {
  std::vector<std::string_view> parts;
  for (std::size_t i = 0; i < count; ++i) {
    const auto newline = text.find('\n');
    parts.push_back(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
  }
  parts.push_back(text);
  return parts;
}

}  // namespace fuzz
