// RunEvent -> the wire-format payload (docs/wire-format.md, Run events).

#include <runhooks/run_event.hpp>
#include <runhooks/validation.hpp>

#include "notify/payload.hpp"

#include "core/json_writer.hpp"
#include "core/utf8.hpp"

#include <rapidjson/document.h>

#include <utility>
#include <vector>

namespace runhooks {

namespace {
using detail::JsonWriter;
using detail::write_string;

void write_commit(JsonWriter& w, const Commit& c) {
  w.StartObject();
  w.Key("sha"); write_string(w, c.sha);
  w.Key("branch"); write_string(w, c.branch);
  w.Key("authorName"); write_string(w, c.author_name);
  w.Key("authorEmail"); write_string(w, c.author_email);
  w.Key("message"); write_string(w, c.message);
  w.Key("remoteOrigin"); write_string(w, c.remote_origin);
  w.Key("defaultBranch");
  if (c.default_branch) write_string(w, *c.default_branch); else w.Null();
  w.EndObject();
}

std::string_view text(const rapidjson::Value& string) {
  return {string.GetString(), string.GetStringLength()};
}

std::string string_member(const rapidjson::Value& object, const char* name) {
  const auto m = object.FindMember(name);
  if (m == object.MemberEnd() || !m->value.IsString()) return {};
  return std::string(text(m->value));
}

std::string_view optional_text(const std::optional<std::string>& value) {
  return value ? std::string_view(*value) : std::string_view();
}

// Each string after the parse holds what its escapes spelled: an escaped
// lone surrogate comes out as an encoded one, which the check of the raw
// text cannot see. Iterative, as the parse is.
bool has_unpaired_surrogate(const rapidjson::Value& root) {
  std::vector<const rapidjson::Value*> pending{&root};
  while (!pending.empty()) {
    const rapidjson::Value& value = *pending.back();
    pending.pop_back();
    if (value.IsString() && !detail::is_valid_utf8(text(value))) return true;
    if (value.IsArray()) {
      for (const auto& item : value.GetArray()) pending.push_back(&item);
    }
    if (value.IsObject()) {
      for (const auto& member : value.GetObject()) {
        pending.push_back(&member.name);
        pending.push_back(&member.value);
      }
    }
  }
  return false;
}

constexpr char kUnitSeparator = '\x1f';
constexpr char kDataLinkEscape = '\x10';

// The first bare unit separator in a key is then the one after the build id.
std::string escaped_build_id(std::string_view build_id) {
  std::string escaped;
  escaped.reserve(build_id.size());
  for (char c : build_id) {
    if (c == kUnitSeparator || c == kDataLinkEscape) escaped += kDataLinkEscape;
    escaped += c;
  }
  return escaped;
}

}  // namespace

std::string to_json(const RunEvent& e) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("event"); write_string(w, to_string(e.type));
  w.Key("runUrl"); write_string(w, e.run_url);
  w.Key("buildId"); write_string(w, e.build_id);
  if (e.group_id) { w.Key("groupId"); write_string(w, *e.group_id); }
  w.Key("tags");
  w.StartArray();
  for (const std::string& tag : e.tags) write_string(w, tag);
  w.EndArray();
  w.Key("commit"); write_commit(w, e.commit);
  w.Key("overall"); w.Int64(e.overall);
  w.Key("passes"); w.Int64(e.passes);
  w.Key("failures"); w.Int64(e.failures);
  w.Key("pending"); w.Int64(e.pending);
  w.Key("skipped"); w.Int64(e.skipped);
  w.Key("retries"); w.Int64(e.retries);
  w.Key("flaky"); w.Int64(e.flaky);
  w.EndObject();
  return detail::json_text(buffer);
}

namespace detail {

std::string run_ordering_key(std::string_view run_url, std::string_view build_id,
                             std::string_view group_id) {
  if (!run_url.empty()) return std::string(run_url);
  if (build_id.empty()) return {};
  return escaped_build_id(build_id) + kUnitSeparator + std::string(group_id);
}

Result<void> validate_run_event_text(const RunEvent& e) {
  const std::pair<const char*, std::string_view> fields[] = {
      {"runUrl", e.run_url},
      {"buildId", e.build_id},
      {"groupId", optional_text(e.group_id)},
      {"commit.sha", e.commit.sha},
      {"commit.branch", e.commit.branch},
      {"commit.authorName", e.commit.author_name},
      {"commit.authorEmail", e.commit.author_email},
      {"commit.message", e.commit.message},
      {"commit.remoteOrigin", e.commit.remote_origin},
      {"commit.defaultBranch", optional_text(e.commit.default_branch)},
  };
  for (const auto& [field, value] : fields) {
    if (auto valid = validate_utf8(value, field); !valid) return valid;
  }
  for (const std::string& tag : e.tags) {
    if (auto valid = validate_utf8(tag, "tags"); !valid) return valid;
  }
  return {};
}

Result<rapidjson::Document> parse_custom_payload(std::string_view json) {
  // Before the parser sees it: RapidJSON skips any of the bytes EF, BB, BF at
  // the start as if they were a byte-order mark.
  if (auto valid = validate_utf8(json, "payload"); !valid) return std::move(valid).error();
  // A NUL would end the parse early and let text after it be sent unchecked.
  if (json.find('\0') != std::string_view::npos) {
    return Error::invalid("payload", "payload must not contain a NUL character");
  }
  // A whole byte-order mark is a character, which JSON does not allow before
  // a value; RapidJSON would skip it, and the payload is sent as given.
  if (json.substr(0, 3) == "\xEF\xBB\xBF") {
    return Error::invalid("payload", "payload must be a JSON object (it starts with a byte-order mark)");
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Error::invalid("payload", "payload must be a JSON object");
  }
  if (has_unpaired_surrogate(doc)) {
    return Error::invalid("payload", "payload must not contain an unpaired surrogate (U+D800 to U+DFFF)");
  }
  return doc;
}

Result<std::string> custom_payload_ordering_key(std::string_view json) {
  auto doc = parse_custom_payload(json);
  if (!doc) return std::move(doc).error();
  return run_ordering_key(string_member(*doc, "runUrl"), string_member(*doc, "buildId"),
                          string_member(*doc, "groupId"));
}

}  // namespace detail
}  // namespace runhooks
