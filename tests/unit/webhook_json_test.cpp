// The wire-format JSON: what is printed, what is accepted.

#include <runhooks/webhook_json.hpp>

#include "support/bad_utf8.hpp"

#include <catch2/catch.hpp>

using namespace runhooks;
using runhooks::test::with_invalid_utf8;
using namespace std::chrono_literals;

namespace {
Webhook sample_hook() {
  Webhook hook;
  hook.hook_id = "550e8400-e29b-41d4-a716-446655440000";
  hook.project_id = "proj_abc123";
  hook.url = "https://example.com/hook";
  hook.headers = R"({"Authorization":"Bearer token"})";
  hook.hook_events = {EventType::run_finish, EventType::run_start};
  hook.label = "CI notifications";
  hook.created_at = Timestamp(1795759200000ms);
  hook.updated_at = Timestamp(1795759200123ms);
  hook.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  return hook;
}
}  // namespace

TEST_CASE("a webhook prints as the wire-format object, headers as a string", "[json]") {
  CHECK(to_json(sample_hook()) ==
        R"({"hookId":"550e8400-e29b-41d4-a716-446655440000","projectId":"proj_abc123",)"
        R"("url":"https://example.com/hook","headers":"{\"Authorization\":\"Bearer token\"}",)"
        R"("hookEvents":["RUN_FINISH","RUN_START"],"label":"CI notifications",)"
        R"("createdAt":"2026-11-27T06:00:00.000Z","updatedAt":"2026-11-27T06:00:00.123Z",)"
        R"("enabled":true,"disabledReason":null,"disabledAt":null})");
}

TEST_CASE("a disabled webhook prints its state: why and since when", "[json]") {
  Webhook hook = sample_hook();
  hook.enabled = false;
  hook.disabled_reason = "endpoint answered 410 Gone";
  hook.disabled_at = hook.updated_at;
  const std::string json = to_json(hook);
  CHECK_THAT(json, Catch::EndsWith(
                       R"("enabled":false,"disabledReason":"endpoint answered 410 Gone",)"
                       R"("disabledAt":"2026-11-27T06:00:00.123Z"})"));
  hook.disabled_at.reset();  // disabled before runhooks kept the time
  CHECK_THAT(to_json(hook), Catch::EndsWith(R"("disabledAt":null})"));
}

TEST_CASE("an update may enable or disable the hook, with a reason only when disabling", "[json]") {
  auto enable = parse_update_request(R"({"enabled":true})");
  REQUIRE(enable);
  CHECK(enable->enabled == true);
  auto disable = parse_update_request(R"({"enabled":false,"disabledReason":"maintenance"})");
  REQUIRE(disable);
  CHECK(disable->enabled == false);
  CHECK(disable->disabled_reason == "maintenance");
  CHECK(parse_update_request(R"({"enabled":"yes"})").error().message == "enabled must be true or false");
  CHECK(parse_update_request(R"({"enabled":true,"disabledReason":"x"})").error().field == "disabledReason");
  CHECK(parse_update_request(R"({"enabled":false,"disabledReason":""})").error().message ==
        "disabledReason must be 1 to 255 characters");
  CHECK(parse_update_request(R"({"enabled":false,"disabledReason":7})").error().message ==
        "disabledReason must be a string");
  // Still the seed's message when nothing to update is given.
  CHECK(parse_update_request(R"({"disabledReason":"x"})").error().message ==
        "At least one field to update must be provided (url, headers, hookEvents, or label)");
}

TEST_CASE("null headers and label print as null, the secret never prints", "[json]") {
  Webhook hook = sample_hook();
  hook.headers.reset();
  hook.label.reset();
  hook.hook_events.clear();
  const std::string json = to_json(hook);
  CHECK_THAT(json, Catch::Contains(R"("headers":null)"));
  CHECK_THAT(json, Catch::Contains(R"("label":null)"));
  CHECK_THAT(json, Catch::Contains(R"("hookEvents":[])"));
  CHECK_THAT(json, !Catch::Contains("whsec_"));
  CHECK(to_json(std::vector<Webhook>{}) == "[]");
  CHECK(to_json(std::vector<Webhook>{hook, hook}).front() == '[');
  CHECK(to_json(DeletedWebhook{"id-1", "p"}) == R"({"hookId":"id-1","projectId":"p"})");
}

TEST_CASE("bodies that would fool or exhaust the parser are refused", "[json]") {
  // A raw NUL ends rapidjson's input: what follows would go unchecked.
  auto with_nul = parse_create_request(std::string("{\"url\":\"https://example.com/h\"}\0{", 34));
  REQUIRE_FALSE(with_nul);
  CHECK(with_nul.error().field == "body");
  // An escaped NUL is refused by the parser itself (rapidjson 1.1); the field
  // rules refuse raw ones too (validation_test).
  CHECK_FALSE(parse_create_request(R"({"url":"https://example.com/h","label":"a\u0000"})"));
  // Nesting deep enough to overflow a recursive parser's stack: a clean 400.
  auto deep = parse_create_request("{\"url\":" + std::string(200'000, '['));
  REQUIRE_FALSE(deep);
  CHECK(deep.error().field == "body");
}

TEST_CASE("create requests parse with every rule applied", "[json]") {
  SECTION("the full request") {
    auto parsed = parse_create_request(
        R"({"url":"https://example.com/h","headers":"{\"X-A\":\"1\"}","label":"L",)"
        R"("hookEvents":["RUN_START","RUN_FINISH","RUN_START"],"unknownField":123})");
    REQUIRE(parsed);
    CHECK(parsed->url == "https://example.com/h");
    CHECK(parsed->headers == std::string(R"({"X-A":"1"})"));
    CHECK(parsed->label == std::string("L"));
    CHECK(parsed->hook_events == std::vector<EventType>{EventType::run_start, EventType::run_finish});
  }
  SECTION("only url; nulls are null") {
    auto parsed = parse_create_request(R"({"url":"http://h.example/","headers":null,"label":null})");
    REQUIRE(parsed);
    CHECK_FALSE(parsed->headers);
    CHECK_FALSE(parsed->label);
    CHECK(parsed->hook_events.empty());
  }
  SECTION("errors name the field") {
    const std::pair<const char*, const char*> cases[] = {
        {R"({})", "url"},
        {R"({"url":null})", "url"},
        {R"({"url":42})", "url"},
        {R"({"url":"nope"})", "url"},
        {R"({"url":"https://e.com/","headers":{"X-A":"1"}})", "headers"},
        {R"({"url":"https://e.com/","headers":"[1]"})", "headers"},
        {R"({"url":"https://e.com/","label":""})", "label"},
        {R"({"url":"https://e.com/","label":7})", "label"},
        {R"({"url":"https://e.com/","hookEvents":"RUN_START"})", "hookEvents"},
        {R"({"url":"https://e.com/","hookEvents":["RUN_BEGIN"]})", "hookEvents"},
        {R"({"url":"https://e.com/","hookEvents":[1]})", "hookEvents"},
        {R"({"url":"https://e.com/","hookEvents":null})", "hookEvents"},
        {R"([])", "body"},
        {R"(not json)", "body"},
        {"", "body"},
        {"{\"url\":\"https://e.com/\xff\"}", "body"},
    };
    for (const auto& [body, field] : cases) {
      INFO(body);
      auto parsed = parse_create_request(body);
      REQUIRE_FALSE(parsed);
      CHECK(parsed.error().code == ErrorCode::invalid_argument);
      CHECK(parsed.error().field == field);
    }
  }
  SECTION("limits are the wire format's") {
    const std::string long_url = "https://example.com/" + std::string(2049 - 20, 'a');
    auto parsed = parse_create_request(R"({"url":")" + long_url + R"("})");
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().message == "url must be at most 2048 characters");
  }
}

TEST_CASE("update requests: present fields set, null clears, absent leaves", "[json]") {
  auto patch = parse_update_request(R"({"label":null,"headers":"{\"A\":\"b\"}"})");
  REQUIRE(patch);
  CHECK(patch->label.is_clear());
  REQUIRE(patch->headers.is_set());
  CHECK(patch->headers.value() == R"({"A":"b"})");
  CHECK_FALSE(patch->url);
  CHECK_FALSE(patch->hook_events);

  auto events = parse_update_request(R"({"hookEvents":[]})");
  REQUIRE(events);
  REQUIRE(events->hook_events);
  CHECK(events->hook_events->empty());

  for (const char* body : {"{}", R"({"somethingElse":1})"}) {
    auto empty = parse_update_request(body);
    REQUIRE_FALSE(empty);
    CHECK(empty.error().message ==
          "At least one field to update must be provided (url, headers, hookEvents, or label)");
  }
  auto bad_url = parse_update_request(R"({"url":null})");
  REQUIRE_FALSE(bad_url);
  CHECK(bad_url.error().field == "url");
}

TEST_CASE("a body that is not valid UTF-8 is refused before it is parsed", "[json][utf8]") {
  for (const auto& bad : with_invalid_utf8(R"({"url":"https://example.com/h","label":"CI )", R"("})")) {
    INFO(bad.what);
    auto created = parse_create_request(bad.text);
    REQUIRE_FALSE(created);
    CHECK(created.error().code == ErrorCode::invalid_argument);
    CHECK(created.error().field == "body");
    CHECK(created.error().message == "body must be valid UTF-8");
    auto updated = parse_update_request(bad.text);
    REQUIRE_FALSE(updated);
    CHECK(updated.error().field == "body");
    CHECK(updated.error().message == "body must be valid UTF-8");
  }
  // Outside the members runhooks reads, too: the body is one text.
  auto ignored_member = parse_create_request("{\"url\":\"https://example.com/h\",\"x\":\"\xc0\xaf\"}");
  REQUIRE_FALSE(ignored_member);
  CHECK(ignored_member.error().field == "body");
}

TEST_CASE("escapes in a body cannot spell what raw UTF-8 may not", "[json][utf8]") {
  const auto field_of = [](const std::string& body) {
    INFO(body);
    auto created = parse_create_request(body);
    REQUIRE_FALSE(created);
    CHECK(created.error().code == ErrorCode::invalid_argument);
    auto updated = parse_update_request(body);
    REQUIRE_FALSE(updated);
    CHECK(updated.error().field == created.error().field);
    return created.error().field;
  };
  // A lone low surrogate decodes to an encoded surrogate: the field's own rule refuses it.
  CHECK(field_of(R"({"url":"https://example.com/h","label":"\udc00"})") == "label");
  CHECK(field_of(R"({"url":"https://example.com/\udc00"})") == "url");
  CHECK(field_of(R"({"url":"https://example.com/h","headers":"\udc00{}"})") == "headers");
  // A high surrogate must be followed by a low one: the parser refuses it.
  CHECK(field_of(R"({"url":"https://example.com/h","label":"\ud800"})") == "body");
  CHECK(field_of(R"({"url":"https://example.com/h","label":"\ud800x"})") == "body");
  CHECK(field_of(R"({"url":"https://example.com/h","label":"\ud800\u0041"})") == "body");
  // Escapes inside the headers string, decoded by its own parse.
  CHECK(field_of(R"({"url":"https://example.com/h","headers":"{\"X-A\":\"\\udc00\"}"})") == "headers");
  CHECK(field_of(R"({"url":"https://example.com/h","headers":"{\"X-A\":\"\\ud800\"}"})") == "headers");
  CHECK(field_of(R"({"url":"https://example.com/h","headers":"{\"X-A\":\"\\u0007\"}"})") == "headers");
  CHECK(field_of(R"({"url":"https://example.com/h","headers":"{\"X-A\":\"\u007f\"}"})") == "headers");
  // A surrogate pair is one character.
  auto paired = parse_create_request(R"({"url":"https://example.com/h","label":"\ud83d\ude80"})");
  REQUIRE(paired);
  CHECK(paired->label == std::string("\xf0\x9f\x9a\x80"));
}

TEST_CASE("a body that starts with a byte-order mark is not JSON (found by fuzzing)", "[json][utf8]") {
  // RapidJSON skips one; RFC 8259 has no place for it before a value.
  const std::string bom = "\xef\xbb\xbf";
  auto created = parse_create_request(bom + R"({"url":"https://example.com/h"})");
  REQUIRE_FALSE(created);
  CHECK(created.error().field == "body");
  CHECK_THAT(created.error().message, Catch::Contains("byte-order mark"));
  auto updated = parse_update_request(bom + R"({"label":"x"})");
  REQUIRE_FALSE(updated);
  CHECK(updated.error().field == "body");
  // Inside a string it is a character like any other.
  auto labelled = parse_create_request(R"({"url":"https://example.com/h","label":")" + bom + R"("})");
  REQUIRE(labelled);
  CHECK(labelled->label == bom);
}

TEST_CASE("an unknown event is quoted as valid UTF-8 (found by fuzzing)", "[json][utf8]") {
  auto lone = parse_create_request(R"({"url":"https://example.com/h","hookEvents":["\udc00RUN"]})");
  REQUIRE_FALSE(lone);
  CHECK(lone.error().field == "hookEvents");
  CHECK(lone.error().message == "hookEvents contains unknown event '\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdRUN' "
                                "(allowed: RUN_FINISH, RUN_START, RUN_TIMEOUT, RUN_CANCELED)");
  std::string long_name = "R";
  for (int i = 0; i < 70; ++i) long_name += "\xc3\xa9";
  auto cut = parse_update_request(R"({"hookEvents":[")" + long_name + R"("]})");
  REQUIRE_FALSE(cut);
  CHECK_THAT(cut.error().message, Catch::Contains("'" + long_name.substr(0, 1 + 63 * 2) + "'"));
}
