#include "model/json_body.hpp"

#include <runhooks/validation.hpp>

#include <rapidjson/error/en.h>

#include <string>

namespace runhooks::detail {

Result<rapidjson::Document> parse_json_body(std::string_view body) {
  // Before the parser sees it: RapidJSON skips any of the bytes EF, BB, BF at
  // the start as if they were a byte-order mark.
  if (auto valid = validate_utf8(body, "body"); !valid) return std::move(valid).error();
  // The parser takes a NUL for the end of its input.
  if (body.find('\0') != std::string_view::npos) {
    return Error::invalid("body", "body must not contain a NUL character");
  }
  // A whole byte-order mark is a character, which JSON does not allow before
  // a value; RapidJSON would skip it.
  if (body.substr(0, 3) == "\xEF\xBB\xBF") {
    return Error::invalid("body", "body is not valid JSON: it starts with a byte-order mark");
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (doc.HasParseError()) {
    return Error::invalid("body", std::string("body is not valid JSON: ") +
                                      rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                                      std::to_string(doc.GetErrorOffset()));
  }
  if (!doc.IsObject()) return Error::invalid("body", "body must be a JSON object");
  return doc;
}

}  // namespace runhooks::detail
