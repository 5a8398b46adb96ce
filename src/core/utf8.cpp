#include "core/utf8.hpp"

#include <rapidjson/encodings.h>

namespace runhooks::detail {

namespace {
// The byte streams RapidJSON's validator reads from and copies to. Reading
// past the end yields NUL, which is never a valid continuation byte, so a
// truncated sequence fails. (NUL itself is a valid character in the text.)
struct ByteInput {
  using Ch = char;
  std::string_view text;
  std::size_t position = 0;
  Ch Peek() const { return position < text.size() ? text[position] : '\0'; }
  Ch Take() { return position < text.size() ? text[position++] : '\0'; }
  std::size_t Tell() const { return position; }
};
struct DiscardOutput {
  using Ch = char;
  void Put(char) {}
};
}  // namespace

std::optional<std::size_t> count_utf8_characters(std::string_view text) {
  ByteInput in{text};
  DiscardOutput out;
  std::size_t count = 0;
  while (in.Tell() < text.size()) {
    if (!rapidjson::UTF8<>::Validate(in, out)) return std::nullopt;
    ++count;
  }
  return count;
}

}  // namespace runhooks::detail
