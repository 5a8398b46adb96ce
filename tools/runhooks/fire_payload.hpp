#pragma once
// The payload `runhooks fire` sends: the user's JSON object with its "event"
// member set. Header-only, so that tests/fuzz/fuzz_cli_payload.cpp fuzzes
// this very code without linking the tool.

#include <runhooks/error.hpp>
#include <runhooks/event_type.hpp>
#include <runhooks/validation.hpp>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

namespace runhooks::cli {

/// `payload` with its "event" member set to `type` (added when absent), or
/// `invalid_argument` on field "payload" saying why it cannot be sent: it is
/// not valid UTF-8, not a JSON object, or escapes a lone surrogate.
inline Result<std::string> payload_with_event(std::string_view payload, EventType type) {
  // Before the parser sees it: RapidJSON skips any of the bytes EF, BB, BF at
  // the start as if they were a byte-order mark, and takes a NUL for the end
  // of its input; the rewrite would drop what they hide. A whole byte-order
  // mark is a character, which JSON does not allow before a value.
  if (!validate_utf8(payload, "payload")) return Error::invalid("payload", "the payload must be valid UTF-8");
  const bool nul = payload.find('\0') != std::string_view::npos;
  const bool bom = payload.substr(0, 3) == "\xEF\xBB\xBF";
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(payload.data(), payload.size());
  if (nul || bom || doc.HasParseError() || !doc.IsObject()) {
    return Error::invalid("payload", "the payload must be a JSON object");
  }
  const std::string name(to_string(type));
  rapidjson::Value value(name.c_str(), static_cast<rapidjson::SizeType>(name.size()), doc.GetAllocator());
  // One "event" member, where the first one was: a second one would keep
  // its value, and a receiver reading the last one would see that.
  bool set = false;
  for (auto member = doc.MemberBegin(); member != doc.MemberEnd();) {
    if (member->name != "event") {
      ++member;
    } else if (set) {
      member = doc.EraseMember(member);
    } else {
      member->value = value;
      set = true;
      ++member;
    }
  }
  if (!set) doc.AddMember("event", value, doc.GetAllocator());
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  std::string rewritten(buffer.GetString(), buffer.GetSize());
  // The writer puts decoded strings out as they are: valid text comes out
  // invalid only where an escape spelled a lone surrogate.
  if (!validate_utf8(rewritten, "payload")) {
    return Error::invalid("payload", "the payload must not contain an unpaired surrogate (U+D800 to U+DFFF)");
  }
  return rewritten;
}

}  // namespace runhooks::cli
