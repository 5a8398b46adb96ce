// The payload check of `runhooks fire` (tools/runhooks/fire_payload.hpp).
// The input is the payload file.
//
// What it accepts is valid UTF-8 holding a JSON object (by the reference
// parser) with no escaped lone surrogate, but in an "event" value it
// replaces; what it makes of it is that object with exactly one "event"
// member, the event's name (where the first one was, else at the end),
// everything else as it was, and a payload notify takes. Where RapidJSON and
// RFC 8259 read a payload alike (no lone surrogate, no number beyond a
// double), every JSON object is accepted.

#include "notify/payload.hpp"
#include "fire_payload.hpp"
#include "reference.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace {

using fuzz::check;
using fuzz::Json;

constexpr runhooks::EventType kType = runhooks::EventType::run_timeout;

// The input object as the rewrite should leave it.
Json expected_rewrite(const Json& input) {
  Json event;
  event.kind = Json::Kind::string;
  event.text = std::string(runhooks::to_string(kType));
  Json out = input;
  out.members.clear();
  bool set = false;
  for (const auto& member : input.members) {
    if (member.first.text != "event") {
      out.members.push_back(member);
    } else if (!set) {
      out.members.emplace_back(member.first, event);
      set = true;
    }
  }
  if (!set) {
    Json name;
    name.kind = Json::Kind::string;
    name.text = "event";
    out.members.emplace_back(std::move(name), std::move(event));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  const auto rewritten = runhooks::cli::payload_with_event(payload, kType);
  const fuzz::JsonParse ref = fuzz::parse_json(payload);
  if (ref.too_deep()) return 0;
  const bool object = ref.valid() && ref.value.kind == Json::Kind::object;
  if (!rewritten) {
    check(rewritten.error().field == "payload", "refused on another field");
    const bool sendable = object && fuzz::all_numbers_tame(ref.value) && !fuzz::any_lone_surrogate(ref.value);
    check(!sendable, "refused a JSON object", rewritten.error().message);
    return 0;
  }
  check(object, "accepted a payload that is not a JSON object (of UTF-8)", payload);
  // What the rewrite drops (an "event" value) may hold anything it parses.
  const Json expected = expected_rewrite(ref.value);
  check(!fuzz::any_lone_surrogate(expected), "accepted an escaped lone surrogate");
  const fuzz::JsonParse out = fuzz::parse_json(*rewritten);
  check(out.valid() && out.value.kind == Json::Kind::object, "the rewrite is not a JSON object", *rewritten);
  check(out.value.count("event") == 1, "the rewrite has not exactly one event member", *rewritten);
  check(fuzz::same_shape(out.value, expected), "the rewrite changed the payload", *rewritten);
  check(runhooks::detail::custom_payload_ordering_key(*rewritten).ok(), "notify refuses the rewrite", *rewritten);
  return 0;
}
