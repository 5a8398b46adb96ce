// parse_create_request and parse_update_request on any bytes: no crash; what
// they accept is a JSON object (by the reference parser) whose fields are the
// ones returned and pass the field validators; and, where RapidJSON and
// RFC 8259 read a body alike (no escaped lone surrogate, no number beyond a
// double), a body with valid fields of the right types is accepted.

#include <runhooks/validation.hpp>
#include <runhooks/webhook_json.hpp>

#include "reference.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using fuzz::Json;
using runhooks::EventType;

bool is_string(const Json* value) { return value != nullptr && value->kind == Json::Kind::string; }
bool is_null(const Json* value) { return value != nullptr && value->kind == Json::Kind::null; }
bool is_bool(const Json* value) { return value != nullptr && value->kind == Json::Kind::boolean; }
bool is_false(const Json* value) { return is_bool(value) && value->text == "false"; }

// enabled is absent or a bool; disabledReason is absent, or a string that
// follows the label's rule (1 to 255 characters, no NUL) beside
// "enabled": false.
bool state_ok(const Json* enabled, const Json* reason) {
  if (enabled != nullptr && !is_bool(enabled)) return false;
  if (reason == nullptr) return true;
  return is_false(enabled) && is_string(reason) &&
         runhooks::validate_label(reason->text).ok();
}

// hookEvents as the reference reads it: the known names, duplicates
// collapsed in first-seen order; nothing when a member is not a known name.
std::optional<std::vector<EventType>> reference_events(const Json& value) {
  if (value.kind != Json::Kind::array) return std::nullopt;
  std::vector<EventType> events;
  for (const Json& item : value.items) {
    if (item.kind != Json::Kind::string) return std::nullopt;
    std::optional<EventType> type;
    for (EventType candidate : runhooks::kAllEventTypes) {
      if (runhooks::to_string(candidate) == item.text) type = candidate;
    }
    if (!type) return std::nullopt;
    bool seen = false;
    for (EventType e : events) seen = seen || e == *type;
    if (!seen) events.push_back(*type);
  }
  return events;
}

// A nullable string member (headers, label) is absent, null, or a string
// that passes its validator.
template <class Validator>
bool nullable_ok(const Json* value, Validator validator) {
  if (value == nullptr || is_null(value)) return true;
  return is_string(value) && validator(value->text).ok();
}

bool events_ok(const Json* value) { return value == nullptr || reference_events(*value).has_value(); }

void check_nullable(const Json* value, const std::optional<std::string>& parsed, const char* what) {
  if (value == nullptr || is_null(value)) {
    fuzz::check(!parsed.has_value(), what);
  } else {
    fuzz::check(parsed.has_value() && *parsed == value->text, what);
  }
}

void check_patch_field(const Json* value, const runhooks::PatchField<std::string>& field, const char* what) {
  if (value == nullptr) fuzz::check(field.is_leave(), what);
  else if (is_null(value)) fuzz::check(field.is_clear(), what);
  else fuzz::check(field.is_set() && field.value() == value->text, what);
}

void check_create(std::string_view body, const fuzz::JsonParse& ref) {
  const auto parsed = runhooks::parse_create_request(body);
  const bool object = ref.valid() && ref.value.kind == Json::Kind::object;
  if (parsed) {
    fuzz::check(object, "create: accepted body is not a JSON object");
    const Json& doc = ref.value;
    fuzz::check(is_string(doc.member("url")) && doc.member("url")->text == parsed->url, "create: url");
    fuzz::check(runhooks::validate_url(parsed->url).ok(), "create: url breaks its rule");
    check_nullable(doc.member("headers"), parsed->headers, "create: headers");
    if (parsed->headers) fuzz::check(runhooks::validate_headers(*parsed->headers).ok(), "create: headers break their rule");
    check_nullable(doc.member("label"), parsed->label, "create: label");
    if (parsed->label) fuzz::check(runhooks::validate_label(*parsed->label).ok(), "create: label breaks its rule");
    const Json* events = doc.member("hookEvents");
    const auto expected = events ? reference_events(*events) : std::vector<EventType>{};
    fuzz::check(expected.has_value() && *expected == parsed->hook_events, "create: hookEvents");
    return;
  }
  fuzz::check(parsed.error().code == runhooks::ErrorCode::invalid_argument, "create: refusal is not invalid_argument");
  if (!object || !runhooks::validate_utf8(body, "body") || !fuzz::all_numbers_tame(ref.value) ||
      fuzz::any_lone_surrogate(ref.value)) {
    return;
  }
  const Json& doc = ref.value;
  const Json* url = doc.member("url");
  const bool valid = is_string(url) && runhooks::validate_url(url->text).ok() &&
                     nullable_ok(doc.member("headers"), runhooks::validate_headers) &&
                     nullable_ok(doc.member("label"), runhooks::validate_label) && events_ok(doc.member("hookEvents"));
  fuzz::check(!valid, "create: a valid body is refused", parsed.error().message);
}

void check_update(std::string_view body, const fuzz::JsonParse& ref) {
  const auto parsed = runhooks::parse_update_request(body);
  const bool object = ref.valid() && ref.value.kind == Json::Kind::object;
  if (parsed) {
    fuzz::check(object, "update: accepted body is not a JSON object");
    const Json& doc = ref.value;
    fuzz::check(!parsed->empty(), "update: accepted an empty patch");
    if (const Json* url = doc.member("url")) {
      fuzz::check(is_string(url) && parsed->url == url->text, "update: url");
      fuzz::check(runhooks::validate_url(*parsed->url).ok(), "update: url breaks its rule");
    } else {
      fuzz::check(!parsed->url, "update: url set from nothing");
    }
    check_patch_field(doc.member("headers"), parsed->headers, "update: headers");
    if (parsed->headers.is_set()) {
      fuzz::check(runhooks::validate_headers(parsed->headers.value()).ok(), "update: headers break their rule");
    }
    check_patch_field(doc.member("label"), parsed->label, "update: label");
    if (parsed->label.is_set()) {
      fuzz::check(runhooks::validate_label(parsed->label.value()).ok(), "update: label breaks its rule");
    }
    if (const Json* events = doc.member("hookEvents")) {
      fuzz::check(parsed->hook_events == reference_events(*events), "update: hookEvents");
    } else {
      fuzz::check(!parsed->hook_events, "update: hookEvents set from nothing");
    }
    const Json* enabled = doc.member("enabled");
    fuzz::check(state_ok(enabled, doc.member("disabledReason")), "update: enabled or disabledReason");
    if (enabled) {
      fuzz::check(parsed->enabled == !is_false(enabled), "update: enabled");
    } else {
      fuzz::check(!parsed->enabled, "update: enabled set from nothing");
    }
    check_nullable(doc.member("disabledReason"), parsed->disabled_reason, "update: disabledReason");
    return;
  }
  fuzz::check(parsed.error().code == runhooks::ErrorCode::invalid_argument, "update: refusal is not invalid_argument");
  if (!object || !runhooks::validate_utf8(body, "body") || !fuzz::all_numbers_tame(ref.value) ||
      fuzz::any_lone_surrogate(ref.value)) {
    return;
  }
  const Json& doc = ref.value;
  const Json* url = doc.member("url");
  const Json* enabled = doc.member("enabled");
  const bool any = url || doc.member("headers") || doc.member("label") || doc.member("hookEvents") || enabled;
  const bool valid = any && (url == nullptr || (is_string(url) && runhooks::validate_url(url->text).ok())) &&
                     nullable_ok(doc.member("headers"), runhooks::validate_headers) &&
                     nullable_ok(doc.member("label"), runhooks::validate_label) &&
                     events_ok(doc.member("hookEvents")) && state_ok(enabled, doc.member("disabledReason"));
  fuzz::check(!valid, "update: a valid body is refused", parsed.error().message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const fuzz::JsonParse ref = fuzz::parse_json(body);
  if (ref.too_deep()) {
    (void)runhooks::parse_create_request(body);
    (void)runhooks::parse_update_request(body);
    return 0;
  }
  check_create(body, ref);
  check_update(body, ref);
  return 0;
}
