#include <runhooks/history_json.hpp>

#include "core/utf8.hpp"
#include "model/history_json.hpp"

#include <algorithm>
#include <optional>

namespace runhooks {

namespace detail {

namespace {

// A response's bytes are the receiver's: anything not UTF-8 becomes U+FFFD,
// so the document stays valid JSON.
void write_text(JsonWriter& w, std::string_view text) {
  if (is_valid_utf8(text)) {
    write_string(w, text);
  } else {
    write_string(w, utf8_excerpt(text, text.size()));
  }
}

void write_time(JsonWriter& w, const char* key, const std::optional<Timestamp>& at) {
  w.Key(key);
  if (at) write_string(w, format_iso8601(*at)); else w.Null();
}

void write_text_or_null(JsonWriter& w, const char* key, std::string_view text) {
  w.Key(key);
  if (text.empty()) w.Null(); else write_text(w, text);
}

void write_headers(JsonWriter& w, const HeaderList& headers) {
  // Names as sent or received, repeated ones joined (RFC 9110, 5.3).
  std::vector<std::pair<std::string_view, std::string>> joined;
  for (const auto& header : headers) {
    auto same = std::find_if(joined.begin(), joined.end(),
                             [&](const auto& field) { return field.first == header.first; });
    if (same == joined.end()) joined.emplace_back(header.first, header.second);
    else same->second.append(", ").append(header.second);
  }
  w.StartObject();
  for (const auto& [name, value] : joined) {
    write_text(w, name);
    write_text(w, value);
  }
  w.EndObject();
}

const char* outcome(AttemptErrorClass error_class) {
  return error_class == AttemptErrorClass::none ? "succeeded" : to_string(error_class);
}

}  // namespace

void write_delivery(JsonWriter& w, const Delivery& delivery, const OutboxEvent* event, bool with_payload) {
  w.StartObject();
  w.Key("deliveryId"); write_string(w, delivery.delivery_id);
  w.Key("webhookId"); write_string(w, webhook_id(delivery));
  w.Key("hookId"); write_string(w, delivery.hook_id);
  w.Key("projectId"); write_string(w, delivery.project_id);
  w.Key("eventId"); write_string(w, delivery.event_id);
  if (event) {
    w.Key("event"); write_string(w, to_string(event->type));
  }
  w.Key("status"); w.String(to_string(delivery.status));
  w.Key("attempts"); w.Int(delivery.attempt_count);
  write_time(w, "nextAttemptAt",
             delivery.status == DeliveryStatus::pending ? std::optional<Timestamp>(delivery.next_attempt_at)
                                                        : std::nullopt);
  write_text_or_null(w, "lastError", delivery.last_error);
  write_time(w, "createdAt", delivery.created_at);
  write_time(w, "completedAt", delivery.completed_at);
  if (event && with_payload) {
    // Stored only after it was checked to be a JSON object (Publisher).
    w.Key("payload");
    w.RawValue(event->payload.data(), event->payload.size(), rapidjson::kObjectType);
  }
  w.EndObject();
}

void write_attempt(JsonWriter& w, const Attempt& attempt, const OutboxEvent* event) {
  w.StartObject();
  w.Key("attemptId"); write_string(w, attempt.attempt_id);
  w.Key("deliveryId"); write_string(w, attempt.delivery_id);
  write_time(w, "attemptedAt", attempt.started_at);
  w.Key("trigger"); w.String(to_string(attempt.trigger));
  w.Key("durationMs"); w.Int64(attempt.duration.count());
  w.Key("outcome"); w.String(outcome(attempt.error_class));
  w.Key("statusCode");
  if (attempt.status_code != 0) w.Int(attempt.status_code); else w.Null();
  write_text_or_null(w, "error", attempt.error_message);
  w.Key("request");
  if (attempt.request_url.empty()) {
    w.Null();
  } else {
    w.StartObject();
    w.Key("url"); write_text(w, attempt.request_url);
    w.Key("headers"); write_headers(w, attempt.request_headers);
    w.Key("body");
    if (event) write_string(w, event->payload); else w.Null();
    w.EndObject();
  }
  w.Key("response");
  if (attempt.status_code == 0 && attempt.response_headers.empty() && attempt.response_body.empty()) {
    w.Null();
  } else {
    w.StartObject();
    w.Key("headers"); write_headers(w, attempt.response_headers);
    w.Key("body"); write_text(w, attempt.response_body);
    w.Key("truncated"); w.Bool(attempt.response_truncated);
    w.EndObject();
  }
  w.EndObject();
}

}  // namespace detail

std::string webhook_id(const Delivery& delivery) { return "msg_" + delivery.delivery_id; }

std::string to_json(const Delivery& delivery, const OutboxEvent* event, bool with_payload) {
  rapidjson::StringBuffer buffer;
  detail::JsonWriter w(buffer);
  detail::write_delivery(w, delivery, event, with_payload);
  return detail::json_text(buffer);
}

std::string to_json(const Attempt& attempt, const OutboxEvent* event) {
  rapidjson::StringBuffer buffer;
  detail::JsonWriter w(buffer);
  detail::write_attempt(w, attempt, event);
  return detail::json_text(buffer);
}

}  // namespace runhooks
