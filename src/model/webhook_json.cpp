// Webhook <-> wire-format JSON (docs/wire-format.md, The Webhook object).

#include <runhooks/validation.hpp>
#include <runhooks/webhook_json.hpp>

#include "core/json_writer.hpp"
#include "core/utf8.hpp"
#include "model/json_body.hpp"

#include <rapidjson/document.h>

namespace runhooks {

namespace {

using detail::JsonWriter;
using detail::json_text;
using detail::write_string;

void write_nullable(JsonWriter& w, const std::optional<std::string>& s) {
  if (s) write_string(w, *s); else w.Null();
}

void write_hook(JsonWriter& w, const Webhook& hook) {
  w.StartObject();
  w.Key("hookId"); write_string(w, hook.hook_id);
  w.Key("projectId"); write_string(w, hook.project_id);
  w.Key("url"); write_string(w, hook.url);
  w.Key("headers"); write_nullable(w, hook.headers);
  w.Key("hookEvents");
  w.StartArray();
  for (EventType type : hook.hook_events) write_string(w, to_string(type));
  w.EndArray();
  w.Key("label"); write_nullable(w, hook.label);
  w.Key("createdAt"); write_string(w, format_iso8601(hook.created_at));
  w.Key("updatedAt"); write_string(w, format_iso8601(hook.updated_at));
  // runhooks' extensions: the endpoint's state.
  w.Key("enabled"); w.Bool(hook.enabled);
  w.Key("disabledReason");
  if (hook.enabled) w.Null(); else write_string(w, hook.disabled_reason);
  w.Key("disabledAt");
  if (hook.enabled || !hook.disabled_at) w.Null(); else write_string(w, format_iso8601(*hook.disabled_at));
  w.EndObject();
}

// A string-or-null member: nullopt for null, the string otherwise.
Result<std::optional<std::string>> nullable_string(const rapidjson::Value& v,
                                                   const char* field) {
  if (v.IsNull()) return std::optional<std::string>();
  if (!v.IsString()) return Error::invalid(field, std::string(field) + " must be a string or null");
  return std::optional<std::string>(std::string(detail::string_view_of(v)));
}

Result<std::string> required_string(const rapidjson::Value& v, const char* field) {
  if (!v.IsString()) return Error::invalid(field, std::string(field) + " must be a string");
  return std::string(detail::string_view_of(v));
}

Result<std::vector<EventType>> event_list(const rapidjson::Value& v) {
  static const char* kExpected =
      "hookEvents must be an array of RUN_FINISH, RUN_START, RUN_TIMEOUT, RUN_CANCELED";
  if (!v.IsArray()) return Error::invalid("hookEvents", kExpected);
  std::vector<EventType> events;
  for (const auto& item : v.GetArray()) {
    if (!item.IsString()) return Error::invalid("hookEvents", kExpected);
    const auto type = parse_event_type(detail::string_view_of(item));
    if (!type) {
      return Error::invalid("hookEvents", "hookEvents contains unknown event '" +
                                              detail::utf8_excerpt(detail::string_view_of(item), 64) +
                                              "' (allowed: RUN_FINISH, RUN_START, "
                                              "RUN_TIMEOUT, RUN_CANCELED)");
    }
    events.push_back(*type);
  }
  return unique_events(events);
}

}  // namespace

std::string to_json(const Webhook& hook) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  write_hook(writer, hook);
  return json_text(buffer);
}

std::string to_json(const std::vector<Webhook>& hooks) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartArray();
  for (const Webhook& hook : hooks) write_hook(writer, hook);
  writer.EndArray();
  return json_text(buffer);
}

std::string to_json(const DeletedWebhook& deleted) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("hookId"); write_string(writer, deleted.hook_id);
  writer.Key("projectId"); write_string(writer, deleted.project_id);
  writer.EndObject();
  return json_text(buffer);
}

Result<NewWebhook> parse_create_request(std::string_view body) {
  auto doc = detail::parse_json_body(body);
  if (!doc) return std::move(doc).error();
  NewWebhook hook;
  const auto url = doc->FindMember("url");
  if (url == doc->MemberEnd()) return Error::invalid("url", "url is required");
  auto url_text = required_string(url->value, "url");
  if (!url_text) return std::move(url_text).error();
  hook.url = std::move(*url_text);

  if (const auto m = doc->FindMember("headers"); m != doc->MemberEnd()) {
    auto headers = nullable_string(m->value, "headers");
    if (!headers) return std::move(headers).error();
    hook.headers = std::move(*headers);
  }
  if (const auto m = doc->FindMember("label"); m != doc->MemberEnd()) {
    auto label = nullable_string(m->value, "label");
    if (!label) return std::move(label).error();
    hook.label = std::move(*label);
  }
  if (const auto m = doc->FindMember("hookEvents"); m != doc->MemberEnd()) {
    auto events = event_list(m->value);
    if (!events) return std::move(events).error();
    hook.hook_events = std::move(*events);
  }
  if (auto valid = validate(hook); !valid) return std::move(valid).error();
  return hook;
}

Result<WebhookPatch> parse_update_request(std::string_view body) {
  auto doc = detail::parse_json_body(body);
  if (!doc) return std::move(doc).error();
  WebhookPatch patch;
  if (const auto m = doc->FindMember("url"); m != doc->MemberEnd()) {
    auto url = required_string(m->value, "url");
    if (!url) return std::move(url).error();
    patch.url = std::move(*url);
  }
  auto apply_nullable = [&](const char* field, PatchField<std::string>& target) -> Result<void> {
    const auto m = doc->FindMember(field);
    if (m == doc->MemberEnd()) return {};
    auto value = nullable_string(m->value, field);
    if (!value) return std::move(value).error();
    if (*value) target.set(std::move(**value)); else target.clear();
    return {};
  };
  if (auto r = apply_nullable("headers", patch.headers); !r) return std::move(r).error();
  if (auto r = apply_nullable("label", patch.label); !r) return std::move(r).error();
  if (const auto m = doc->FindMember("hookEvents"); m != doc->MemberEnd()) {
    auto events = event_list(m->value);
    if (!events) return std::move(events).error();
    patch.hook_events = std::move(*events);
  }
  if (const auto m = doc->FindMember("enabled"); m != doc->MemberEnd()) {
    if (!m->value.IsBool()) return Error::invalid("enabled", "enabled must be true or false");
    patch.enabled = m->value.GetBool();
  }
  if (const auto m = doc->FindMember("disabledReason"); m != doc->MemberEnd()) {
    auto reason = required_string(m->value, "disabledReason");
    if (!reason) return std::move(reason).error();
    patch.disabled_reason = std::move(*reason);
  }
  if (auto valid = validate(patch); !valid) return std::move(valid).error();
  return patch;
}

}  // namespace runhooks
