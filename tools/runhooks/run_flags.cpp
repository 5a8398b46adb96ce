#include "run_flags.hpp"

#include "options.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <limits>

namespace runhooks::cli {

namespace {

struct Flag {
  const char* option;
  const char* member;
};

constexpr Flag kStrings[] = {{"--run-url", "runUrl"}, {"--build-id", "buildId"}, {"--group-id", "groupId"}};
constexpr Flag kCommit[] = {{"--commit-sha", "sha"},           {"--branch", "branch"},
                            {"--author-name", "authorName"},   {"--author-email", "authorEmail"},
                            {"--commit-message", "message"},   {"--remote-origin", "remoteOrigin"},
                            {"--default-branch", "defaultBranch"}};
constexpr Flag kCounts[] = {{"--overall", "overall"}, {"--passes", "passes"},   {"--failures", "failures"},
                            {"--pending", "pending"}, {"--skipped", "skipped"}, {"--retries", "retries"},
                            {"--flaky", "flaky"}};

using Allocator = rapidjson::Document::AllocatorType;

rapidjson::Value text(const std::string& s, Allocator& a) {
  return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a);
}

void set(rapidjson::Value& object, const std::string& name, rapidjson::Value value, Allocator& a) {
  if (auto found = object.FindMember(name.c_str()); found != object.MemberEnd()) {
    found->value = std::move(value);
  } else {
    object.AddMember(text(name, a), std::move(value), a);
  }
}

}  // namespace

void add_run_flags(CLI::App& fire, RunFlags& flags) {
  for (const Flag& f : kStrings) {
    fire.add_option_function<std::string>(
        f.option, [&flags, member = f.member](const std::string& v) { flags.strings[member] = v; },
        std::string("sets ") + f.member);
  }
  for (const Flag& f : kCommit) {
    fire.add_option_function<std::string>(
        f.option, [&flags, member = f.member](const std::string& v) { flags.commit[member] = v; },
        std::string("sets commit.") + f.member);
  }
  for (const Flag& f : kCounts) {
    auto* option = fire.add_option_function<std::int64_t>(
        f.option, [&flags, member = f.member](const std::int64_t& v) { flags.counts[member] = v; },
        std::string("sets ") + f.member);
    option->check(whole_number(0, std::numeric_limits<std::int64_t>::max()));
  }
  add_repeatable(fire, "--tag", flags.tags, "adds a tag (repeatable; replaces the payload's tags)");
}

std::string apply_run_flags(const std::string& payload, const RunFlags& flags) {
  if (flags.strings.empty() && flags.commit.empty() && flags.counts.empty() && flags.tags.empty()) return payload;
  rapidjson::Document doc;
  doc.Parse(payload.data(), payload.size());
  if (doc.HasParseError() || !doc.IsObject()) return payload;
  Allocator& a = doc.GetAllocator();
  for (const auto& [member, value] : flags.strings) set(doc, member, text(value, a), a);
  for (const auto& [member, value] : flags.counts) set(doc, member, rapidjson::Value(static_cast<int64_t>(value)), a);
  if (!flags.tags.empty()) {
    rapidjson::Value tags(rapidjson::kArrayType);
    for (const std::string& tag : flags.tags) tags.PushBack(text(tag, a), a);
    set(doc, "tags", std::move(tags), a);
  }
  if (!flags.commit.empty()) {
    auto found = doc.FindMember("commit");
    if (found == doc.MemberEnd() || !found->value.IsObject()) {
      set(doc, "commit", rapidjson::Value(rapidjson::kObjectType), a);
      found = doc.FindMember("commit");
    }
    for (const auto& [member, value] : flags.commit) set(found->value, member, text(value, a), a);
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace runhooks::cli
