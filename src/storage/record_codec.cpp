#include "storage/record_codec.hpp"

#include "core/json_writer.hpp"

#include <rapidjson/document.h>

#include <cstdlib>

namespace runhooks::detail {

namespace {
std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (!text.empty()) {
    const auto end = text.find(separator);
    parts.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return parts;
}
}  // namespace

std::string encode_events(const std::vector<EventType>& events) {
  std::string text;
  for (EventType type : events) {
    if (!text.empty()) text += ',';
    text += to_string(type);
  }
  return text;
}

std::vector<EventType> decode_events(std::string_view text) {
  std::vector<EventType> events;
  for (std::string_view name : split(text, ',')) {
    if (auto type = parse_event_type(name)) events.push_back(*type);
  }
  return events;
}

std::uint32_t event_mask(const std::vector<EventType>& events) {
  std::uint32_t mask = 0;
  for (EventType type : events) mask |= event_bit(type);
  return mask;
}

std::string encode_retired_secrets(const std::vector<RetiredSecret>& secrets) {
  std::string text;
  for (const RetiredSecret& s : secrets) {
    if (!text.empty()) text += ';';
    text += s.secret + '@' + std::to_string(to_millis(s.expires_at));
  }
  return text;
}

std::vector<RetiredSecret> decode_retired_secrets(std::string_view text) {
  std::vector<RetiredSecret> secrets;
  for (std::string_view pair : split(text, ';')) {
    const auto at = pair.find('@');
    if (at == std::string_view::npos) continue;
    const std::string millis(pair.substr(at + 1));
    secrets.push_back({std::string(pair.substr(0, at)),
                       from_millis(std::strtoll(millis.c_str(), nullptr, 10))});
  }
  return secrets;
}

std::string encode_projects(const std::vector<std::string>& projects) {
  std::string text;
  for (const std::string& p : projects) {
    if (!text.empty()) text += '\n';
    text += p;
  }
  return text;
}

std::vector<std::string> decode_projects(std::string_view text) {
  std::vector<std::string> projects;
  for (std::string_view p : split(text, '\n')) projects.emplace_back(p);
  return projects;
}

std::string encode_headers(const HeaderList& headers) {
  if (headers.empty()) return {};
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartArray();
  for (const auto& [name, value] : headers) {
    writer.StartArray();
    write_string(writer, name);
    write_string(writer, value);
    writer.EndArray();
  }
  writer.EndArray();
  return json_text(buffer);
}

HeaderList decode_headers(std::string_view text) {
  HeaderList headers;
  if (text.empty()) return headers;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());  // no encoding check: see the header
  if (doc.HasParseError() || !doc.IsArray()) return headers;
  for (const auto& field : doc.GetArray()) {
    if (!field.IsArray() || field.Size() != 2 || !field[0].IsString() || !field[1].IsString()) continue;
    headers.emplace_back(std::string(field[0].GetString(), field[0].GetStringLength()),
                         std::string(field[1].GetString(), field[1].GetStringLength()));
  }
  return headers;
}

std::string json_string_array(const std::vector<std::string>& items) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartArray();
  for (const std::string& item : items) write_string(writer, item);
  writer.EndArray();
  return json_text(buffer);
}

std::int64_t to_millis(Timestamp t) { return t.time_since_epoch().count(); }

Timestamp from_millis(std::int64_t ms) { return Timestamp(std::chrono::milliseconds(ms)); }

}  // namespace runhooks::detail
