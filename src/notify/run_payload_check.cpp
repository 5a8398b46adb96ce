// validate_run_payload: a payload of one's own against the run payload's
// member types (docs/wire-format.md, Run events).

#include <runhooks/run_event.hpp>

#include "model/json_body.hpp"
#include "notify/payload.hpp"

#include <string>

namespace runhooks {

namespace {

constexpr const char* kCounts[] = {"overall", "passes", "failures", "pending", "skipped", "retries", "flaky"};
constexpr const char* kCommitStrings[] = {"sha", "branch", "authorName", "authorEmail", "message", "remoteOrigin"};

Error must_be(const std::string& field, const char* what) { return Error::invalid(field, field + " must be " + what); }

Result<void> check_commit(const rapidjson::Value& commit) {
  if (!commit.IsObject()) return must_be("commit", "an object");
  for (const char* name : kCommitStrings) {
    const auto m = commit.FindMember(name);
    if (m != commit.MemberEnd() && !m->value.IsString()) return must_be(std::string("commit.") + name, "a string");
  }
  const auto branch = commit.FindMember("defaultBranch");
  if (branch != commit.MemberEnd() && !branch->value.IsString() && !branch->value.IsNull()) {
    return must_be("commit.defaultBranch", "a string or null");
  }
  return {};
}

Result<void> check_tags(const rapidjson::Value& tags) {
  if (!tags.IsArray()) return must_be("tags", "an array of strings");
  for (rapidjson::SizeType i = 0; i < tags.Size(); ++i) {
    if (!tags[i].IsString()) return must_be("tags[" + std::to_string(i) + "]", "a string");
  }
  return {};
}

}  // namespace

Result<void> validate_run_payload(std::string_view json) {
  auto doc = detail::parse_custom_payload(json);
  if (!doc) return std::move(doc).error();
  if (const auto event = doc->FindMember("event"); event != doc->MemberEnd()) {
    const bool known = event->value.IsString() &&
                       parse_event_type(detail::string_view_of(event->value)).has_value();
    if (!known) return must_be("event", "one of RUN_START, RUN_FINISH, RUN_TIMEOUT, RUN_CANCELED");
  }
  for (const char* name : {"runUrl", "buildId", "groupId"}) {
    const auto m = doc->FindMember(name);
    if (m != doc->MemberEnd() && !m->value.IsString()) return must_be(name, "a string");
  }
  if (const auto tags = doc->FindMember("tags"); tags != doc->MemberEnd()) {
    if (auto valid = check_tags(tags->value); !valid) return valid;
  }
  if (const auto commit = doc->FindMember("commit"); commit != doc->MemberEnd()) {
    if (auto valid = check_commit(commit->value); !valid) return valid;
  }
  for (const char* name : kCounts) {
    const auto m = doc->FindMember(name);
    if (m == doc->MemberEnd()) continue;
    if (!m->value.IsInt64() || m->value.GetInt64() < 0) return must_be(name, "a whole number, 0 or more");
  }
  return {};
}

}  // namespace runhooks
