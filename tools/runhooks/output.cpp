#include "output.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdio>
#include <map>

namespace runhooks::cli {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void str(Writer& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void time_or_null(Writer& w, const char* key, const std::optional<Timestamp>& t) {
  w.Key(key);
  if (t) {
    const std::string text = format_iso8601(*t);
    w.String(text.c_str());
  } else {
    w.Null();
  }
}

void write(Writer& w, const ApiKey& k) {
  w.StartObject();
  str(w, "keyId", k.key_id);
  str(w, "label", k.label);
  w.Key("projects");
  w.StartArray();
  for (const std::string& p : k.projects) w.String(p.c_str());
  w.EndArray();
  w.Key("allProjects"); w.Bool(k.all_projects);
  w.Key("readOnly"); w.Bool(k.read_only);
  time_or_null(w, "createdAt", k.created_at);
  w.EndObject();
}

template <class T>
std::string one(const T& item) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  write(w, item);
  return {buffer.GetString(), buffer.GetSize()};
}

template <class T>
std::string many(const std::vector<T>& items) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartArray();
  for (const T& item : items) write(w, item);
  w.EndArray();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

// Deliveries and attempts as the management API shows them (history_json.hpp).
Result<std::string> deliveries_json(const Publisher& history, const std::vector<Delivery>& deliveries,
                                    bool with_payload) {
  std::map<std::string, OutboxEvent> events;
  std::string json = "[";
  for (const Delivery& d : deliveries) {
    auto found = events.find(d.event_id);
    if (found == events.end()) {
      auto event = history.event(d.event_id);
      if (!event) return std::move(event).error();
      found = events.emplace(d.event_id, std::move(*event)).first;
    }
    if (json.size() > 1) json += ',';
    json += runhooks::to_json(d, &found->second, with_payload);
  }
  return json + "]";
}

std::string attempts_json(const std::vector<Attempt>& attempts, const OutboxEvent* event) {
  std::string json = "[";
  for (const Attempt& a : attempts) {
    if (json.size() > 1) json += ',';
    json += runhooks::to_json(a, event);
  }
  return json + "]";
}
std::string to_json(const ApiKey& k) { return one(k); }
std::string to_json(const std::vector<ApiKey>& ks) { return many(ks); }

std::string json_strings(const std::vector<std::pair<std::string, std::string>>& fields) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  for (const auto& [name, value] : fields) str(w, name.c_str(), value);
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) widths[c] = header[c].size();
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c + 1 == row.size()) std::printf("%s\n", row[c].c_str());
      else std::printf("%-*s  ", static_cast<int>(widths[c]), row[c].c_str());
    }
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

}  // namespace runhooks::cli
