// RunEvent -> the wire-format payload (wire-format.md §2).

#include <runhooks/run_event.hpp>

#include "delivery/payload.hpp"

#include "core/json_writer.hpp"

#include <rapidjson/document.h>

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

std::string string_member(const rapidjson::Value& object, const char* name) {
  const auto m = object.FindMember(name);
  if (m == object.MemberEnd() || !m->value.IsString()) return {};
  return {m->value.GetString(), m->value.GetStringLength()};
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
  return std::string(build_id) + '\x1f' + std::string(group_id);
}

Result<std::string> custom_payload_ordering_key(std::string_view json) {
  // A NUL would end the parse early and let text after it be sent unchecked.
  if (json.find('\0') != std::string_view::npos) {
    return Error::invalid("payload", "payload must not contain a NUL character");
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Error::invalid("payload", "payload must be a JSON object");
  }
  return run_ordering_key(string_member(doc, "runUrl"), string_member(doc, "buildId"),
                          string_member(doc, "groupId"));
}

}  // namespace detail
}  // namespace runhooks
