// Every wire-format rule at its limits (docs/wire-format.md, Field rules).

#include <runhooks/run_event.hpp>
#include <runhooks/validation.hpp>

#include "support/bad_utf8.hpp"

#include <catch2/catch.hpp>

#include <cstdio>

using namespace runhooks;
using runhooks::test::with_invalid_utf8;

namespace {

std::string url_of_length(std::size_t n) {
  std::string url = "https://example.com/";
  url.append(n - url.size(), 'a');
  return url;
}

std::string repeat_char(const std::string& s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

// A headers JSON string of exactly n characters: {"X-Pad":"aaa..."}.
std::string headers_of_length(std::size_t n) {
  const std::string head = "{\"X-Pad\":\"";
  const std::string tail = "\"}";
  return head + std::string(n - head.size() - tail.size(), 'a') + tail;
}

// The same with its value in two-byte characters (U+00E9): n characters, more bytes.
std::string multibyte_headers_of_length(std::size_t n) {
  const std::string head = "{\"X-Pad\":\"";
  const std::string tail = "\"}";
  std::string value;
  for (std::size_t i = head.size() + tail.size(); i < n; ++i) value += "\xc3\xa9";
  return head + value + tail;
}

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

void check_invalid(const Result<void>& r, const std::string& field, const std::string& contains) {
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::invalid_argument);
  CHECK(r.error().field == field);
  CHECK_THAT(r.error().message, Catch::Contains(contains));
}

}  // namespace

TEST_CASE("url: absolute http(s) with a host, at most 2048 characters", "[validation]") {
  CHECK(validate_url("https://example.com/hook"));
  CHECK(validate_url("http://127.0.0.1:8080/x?y=1#z"));
  CHECK(validate_url("https://[::1]/hook"));
  CHECK(validate_url(url_of_length(2048)));
  check_invalid(validate_url(url_of_length(2049)), "url", "at most 2048 characters");
  // Characters, not bytes: 2048 characters of which some take two bytes.
  CHECK(validate_url("https://example.com/" + repeat_char("\xc3\xa9", 2028)));
  check_invalid(validate_url("https://example.com/" + repeat_char("\xc3\xa9", 2029)), "url", "at most 2048");
  check_invalid(validate_url("https://example.com/\xc3"), "url", "valid UTF-8");
  check_invalid(validate_url(""), "url", "must not be empty");
  check_invalid(validate_url("example.com/hook"), "url", "not a valid absolute URL");
  check_invalid(validate_url("/relative/path"), "url", "not a valid absolute URL");
  check_invalid(validate_url("ftp://example.com/"), "url", "http or https");
  check_invalid(validate_url("file:///etc/passwd"), "url", "");
  check_invalid(validate_url("javascript:alert(1)"), "url", "");
  check_invalid(validate_url("https:///path-only"), "url", "https://host/path");
  check_invalid(validate_url("https:/example.com/"), "url", "https://host/path");
  CHECK(validate_url("HTTPS://example.com/"));  // schemes ignore case (RFC 3986)
  check_invalid(validate_url("https://exa mple.com/"), "url", "whitespace or control");
  check_invalid(validate_url("https://example.com/\r\nX-Injected: 1"), "url", "whitespace or control");
  check_invalid(validate_url(std::string("https://example.com/\0x", 22)), "url", "control");
  check_invalid(validate_url("https://example.com/\x7f"), "url", "control");
}

TEST_CASE("headers: a JSON object string of string values, at most 4096", "[validation]") {
  CHECK(validate_headers(R"({"Authorization": "Bearer token"})"));
  CHECK(validate_headers("{}"));
  CHECK(validate_headers(R"({"X-A":"1","X-B":"two words","x-c":""})"));
  CHECK(validate_headers(headers_of_length(4096)));
  check_invalid(validate_headers(headers_of_length(4097)), "headers", "at most 4096 characters");

  SECTION("not an object") {
    check_invalid(validate_headers("[]"), "headers", "JSON object");
    check_invalid(validate_headers(R"(["a","b"])"), "headers", "JSON object");
    check_invalid(validate_headers("42"), "headers", "JSON object");
    check_invalid(validate_headers(R"("str")"), "headers", "JSON object");
    check_invalid(validate_headers("null"), "headers", "JSON object");
    check_invalid(validate_headers(""), "headers", "JSON object");
    check_invalid(validate_headers("{"), "headers", "JSON object");
    check_invalid(validate_headers(R"({"a":"b"} {})"), "headers", "JSON object");
  }
  SECTION("values must be strings") {
    check_invalid(validate_headers(R"({"X-N": 1})"), "headers", "string value");
    check_invalid(validate_headers(R"({"X-O": {"nested": "x"}})"), "headers", "string value");
    check_invalid(validate_headers(R"({"X-A": ["x"]})"), "headers", "string value");
    check_invalid(validate_headers(R"({"X-B": true})"), "headers", "string value");
    check_invalid(validate_headers(R"({"X-Z": null})"), "headers", "string value");
  }
  SECTION("invalid UTF-8") {
    check_invalid(validate_headers("{\"X-A\": \"\xc3\x28\"}"), "headers", "headers must be valid UTF-8");
    check_invalid(validate_headers("{\"X-A\": \"\xed\xa0\x80\"}"), "headers", "headers must be valid UTF-8");
  }
  SECTION("CR, LF, NUL in values: header injection") {
    check_invalid(validate_headers(R"({"X-A": "v\r\nX-Evil: 1"})"), "headers", "control characters");
    check_invalid(validate_headers(R"({"X-A": "v\nX"})"), "headers", "control characters");
    check_invalid(validate_headers(R"({"X-A": "v\rX"})"), "headers", "control characters");
    check_invalid(validate_headers(R"({"X-A": "v\u0000X"})"), "headers", "control characters");
  }
  SECTION("names are RFC 9110 tokens, unique ignoring case") {
    check_invalid(validate_headers(R"({"": "x"})"), "headers", "not a valid HTTP token");
    check_invalid(validate_headers(R"({"X A": "x"})"), "headers", "not a valid HTTP token");
    check_invalid(validate_headers(R"({"X:A": "x"})"), "headers", "not a valid HTTP token");
    check_invalid(validate_headers(R"({"X-A\r\nEvil": "x"})"), "headers", "not a valid HTTP token");
    check_invalid(validate_headers(R"({"X-Ä": "x"})"), "headers", "not a valid HTTP token");
    check_invalid(validate_headers(R"({"X-A": "1", "x-a": "2"})"), "headers", "more than once");
    CHECK(validate_headers(R"({"X-Custom_Header.v2!#$%&'*+^`|~": "ok"})"));
  }
  SECTION("reserved names cannot be overridden") {
    for (const char* name :
         {"webhook-id", "Webhook-Timestamp", "WEBHOOK-SIGNATURE", "Content-Type", "content-length",
          "Host", "x-timestamp", "Connection", "Transfer-Encoding", "TE", "Upgrade", "Keep-Alive",
          "Trailer", "Expect", "Proxy-Authorization", "proxy-connection"}) {
      check_invalid(validate_headers(std::string("{\"") + name + "\": \"x\"}"), "headers",
                    "reserved");
    }
    CHECK(validate_headers(R"({"Authorization": "x", "User-Agent": "mine", "X-Proxy": "y"})"));
  }
}

TEST_CASE("headers: a NUL cannot hide text from the parser", "[validation]") {
  check_invalid(validate_headers(std::string("{\"X-A\":\"b\"}\0garbage", 19)), "headers", "NUL");
}

TEST_CASE("label: 1 to 255 Unicode characters of valid UTF-8", "[validation]") {
  CHECK(validate_label("a"));
  CHECK(validate_label(std::string(255, 'a')));
  check_invalid(validate_label(std::string(256, 'a')), "label", "1 to 255 characters");
  check_invalid(validate_label(""), "label", "1 to 255 characters");
  // 255 two-byte characters are 510 bytes: still 255 characters.
  CHECK(validate_label(repeat("\xc3\xa9", 255)));
  check_invalid(validate_label(repeat("\xc3\xa9", 256)), "label", "1 to 255 characters");
  CHECK(validate_label(repeat("\xf0\x9f\x9a\x80", 255)));
  check_invalid(validate_label("bad \xc3"), "label", "valid UTF-8");
  check_invalid(validate_label("\xc0\xaf"), "label", "valid UTF-8");
  check_invalid(validate_label(std::string("a\0b", 3)), "label", "NUL");
}

TEST_CASE("projectId: 1 to 255 printable ASCII characters", "[validation]") {
  CHECK(validate_project_id("proj_abc123"));
  CHECK(validate_project_id(std::string(255, 'p')));
  check_invalid(validate_project_id(std::string(256, 'p')), "projectId", "1 to 255");
  check_invalid(validate_project_id(""), "projectId", "1 to 255");
  check_invalid(validate_project_id("a\nb"), "projectId", "printable");
  check_invalid(validate_project_id("caf\xc3\xa9"), "projectId", "printable");
}

TEST_CASE("hookId: a UUID, canonicalised to lowercase", "[validation]") {
  CHECK(*canonical_hook_id("550e8400-e29b-41d4-a716-446655440000") ==
        "550e8400-e29b-41d4-a716-446655440000");
  CHECK(*canonical_hook_id("550E8400-E29B-41D4-A716-446655440000") ==
        "550e8400-e29b-41d4-a716-446655440000");
  for (const char* bad : {"", "not-a-uuid", "550e8400e29b41d4a716446655440000",
                          "550e8400-e29b-41d4-a716-44665544000", "550e8400-e29b-41d4-a716-4466554400000",
                          "550e8400-e29b-41d4-a716_446655440000", "g50e8400-e29b-41d4-a716-446655440000",
                          "../../../../etc/passwd-0000-0000-000000", "' OR 1=1 --"}) {
    auto r = canonical_hook_id(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::invalid_argument);
    CHECK(r.error().field == "hookId");
  }
}

TEST_CASE("hookEvents: duplicates collapse in first-seen order", "[validation]") {
  using E = EventType;
  CHECK(unique_events({E::run_finish, E::run_start, E::run_finish, E::run_start}) ==
        std::vector<E>{E::run_finish, E::run_start});
  CHECK(unique_events({}).empty());
}

TEST_CASE("whole requests: every field rule applies, an empty patch is refused", "[validation]") {
  NewWebhook hook{"https://example.com/h", std::nullopt, std::nullopt, {}};
  CHECK(validate(hook));
  hook.label = "";
  check_invalid(validate(hook), "label", "1 to 255");
  hook.label.reset();
  hook.headers = "[]";
  check_invalid(validate(hook), "headers", "JSON object");

  WebhookPatch patch;
  REQUIRE_FALSE(validate(patch));
  CHECK(validate(patch).error().message ==
        "At least one field to update must be provided (url, headers, hookEvents, or label)");
  patch.label.clear();
  CHECK(validate(patch));
  patch.url = "nope";
  check_invalid(validate(patch), "url", "absolute");
}

TEST_CASE("every text is checked as UTF-8 first, strictly", "[validation][utf8]") {
  for (const auto& bad : with_invalid_utf8("https://example.com/", "hook")) {
    INFO(bad.what);
    check_invalid(validate_url(bad.text), "url", "url must be valid UTF-8");
  }
  for (const auto& bad : with_invalid_utf8(R"({"X-A":")", R"("})")) {
    INFO(bad.what);
    check_invalid(validate_headers(bad.text), "headers", "headers must be valid UTF-8");
  }
  for (const auto& bad : with_invalid_utf8("CI ", "label")) {
    INFO(bad.what);
    check_invalid(validate_label(bad.text), "label", "label must be valid UTF-8");
  }
  for (const auto& bad : with_invalid_utf8("proj", "_1")) {
    INFO(bad.what);
    check_invalid(validate_project_id(bad.text), "projectId", "projectId must be valid UTF-8");
  }
  for (const auto& bad : with_invalid_utf8("any ", "text")) {
    INFO(bad.what);
    check_invalid(validate_utf8(bad.text, "payload"), "payload", "payload must be valid UTF-8");
  }
  CHECK(validate_utf8("", "payload"));
  CHECK(validate_utf8("caf\xc3\xa9 \xf0\x9f\x9a\x80 \xf4\x8f\xbf\xbf", "payload"));  // up to U+10FFFF
  // A whole byte-order mark is a character like any other.
  CHECK(validate_utf8("\xef\xbb\xbftext", "payload"));
  CHECK(validate_label("\xef\xbb\xbf"));
}

TEST_CASE("headers: the 20,000-character string behind a stray 0xBB is refused", "[validation][utf8]") {
  const std::string reported = "\xbb" + headers_of_length(19'999);
  REQUIRE(reported.size() == 20'000);
  auto refused = validate_headers(reported);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().field == "headers");
  CHECK_THAT(refused.error().message, Catch::Contains("valid UTF-8") || Catch::Contains("at most 4096"));
  check_invalid(validate_headers(headers_of_length(20'000)), "headers", "at most 4096 characters");
}

TEST_CASE("limits count characters: multibyte text at the limit is accepted", "[validation][utf8]") {
  CHECK(validate_headers(multibyte_headers_of_length(4096)));
  check_invalid(validate_headers(multibyte_headers_of_length(4097)), "headers", "at most 4096 characters");
  CHECK(validate_label(repeat("\xe2\x82\xac", 255)));  // the euro sign, 3 bytes
  check_invalid(validate_label(repeat("\xe2\x82\xac", 256)), "label", "1 to 255 characters");
  CHECK(validate_url("https://example.com/" + repeat("\xf0\x9f\x9a\x80", 2028)));
  check_invalid(validate_url("https://example.com/" + repeat("\xf0\x9f\x9a\x80", 2029)), "url", "at most 2048");
}

TEST_CASE("headers: escapes cannot spell a lone surrogate", "[validation][utf8]") {
  check_invalid(validate_headers(R"({"X-A":"\udc00"})"), "headers", "header 'X-A' value");
  check_invalid(validate_headers(R"({"X-A":"ok\udfff"})"), "headers", "unpaired surrogate");
  check_invalid(validate_headers(R"({"X-A":"\ud800"})"), "headers", "");
  check_invalid(validate_headers(R"({"X-A":"\ud800x"})"), "headers", "");
  check_invalid(validate_headers(R"({"X-A":"\ud800\u0041"})"), "headers", "");
  check_invalid(validate_headers(R"({"X-A":"\ud800\ud800"})"), "headers", "");
  check_invalid(validate_headers(R"({"\udc00":"x"})"), "headers", "not a valid HTTP token");
  CHECK(validate_headers(R"({"X-A":"\ud83d\ude80 \u00e9"})"));  // a pair: one character
}

TEST_CASE("headers: values hold no control characters but tab", "[validation]") {
  for (int c = 0; c < 0x20; ++c) {
    if (c == '\t') continue;
    char escape[8];
    std::snprintf(escape, sizeof escape, "\\u%04x", c);
    INFO(escape);
    check_invalid(validate_headers(std::string(R"({"X-A":"a)") + escape + R"(b"})"), "headers",
                  "header 'X-A' value must not contain control characters");
  }
  check_invalid(validate_headers("{\"X-A\":\"a\x7f" "b\"}"), "headers", "control characters");
  check_invalid(validate_headers(R"({"X-A":"a\u007fb"})"), "headers", "control characters");
  CHECK(validate_headers(R"({"X-A":"a\tb"})"));
  CHECK(validate_headers("{\"X-A\":\"caf\xc3\xa9 \xc2\x80\"}"));  // non-ASCII is not control here
}

TEST_CASE("headers: a leading byte-order mark is refused, not skipped (found by fuzzing)", "[validation][utf8]") {
  // RapidJSON skips one; the string is stored and handed on as given, and a
  // strict JSON reader refuses it.
  check_invalid(validate_headers("\xef\xbb\xbf{\"X-A\":\"a\"}"), "headers", "byte-order mark");
  check_invalid(validate_headers("\xef\xbb\xbf{}"), "headers", "byte-order mark");
  CHECK(validate_headers("{\"X-A\":\"\xef\xbb\xbf\"}"));  // in a value it is a character
}

TEST_CASE("headers: a refused name is quoted as valid UTF-8 (found by fuzzing)", "[validation][utf8]") {
  // 64 characters of it, never half of one; an escaped lone surrogate shows as U+FFFD.
  check_invalid(validate_headers("{\"a" + repeat("\xc3\xa9", 70) + "\":\"x\"}"), "headers",
                "header name 'a" + repeat("\xc3\xa9", 63) + "' is not a valid HTTP token");
  check_invalid(validate_headers(R"({"X\udc00":"x"})"), "headers",
                "header name 'X\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd' is not a valid HTTP token");
}

TEST_CASE("a run payload of one's own is checked against the wire format's member types", "[validation]") {
  CHECK(validate_run_payload(R"({"event":"RUN_FINISH","runUrl":"https://ci/run/1","buildId":"b","groupId":"g",)"
                             R"("tags":["a","b"],"commit":{"sha":"abc","defaultBranch":null},"passes":3,"failures":0,)"
                             R"("customField":{"any":[1,2]}})"));
  CHECK(validate_run_payload("{}"));  // every member may be missing
  const std::pair<const char*, const char*> refused[] = {
      {R"({"runUrl":42})", "runUrl must be a string"},
      {R"({"buildId":null})", "buildId must be a string"},
      {R"({"groupId":["g"]})", "groupId must be a string"},
      {R"({"tags":"nightly"})", "tags must be an array of strings"},
      {R"({"tags":["a",2]})", "tags[1] must be a string"},
      {R"({"commit":"abc"})", "commit must be an object"},
      {R"({"commit":{"sha":1}})", "commit.sha must be a string"},
      {R"({"commit":{"authorEmail":null}})", "commit.authorEmail must be a string"},
      {R"({"commit":{"defaultBranch":3}})", "commit.defaultBranch must be a string or null"},
      {R"({"passes":-1})", "passes must be a whole number, 0 or more"},
      {R"({"failures":1.5})", "failures must be a whole number, 0 or more"},
      {R"({"flaky":"2"})", "flaky must be a whole number, 0 or more"},
      {R"({"overall":1e3})", "overall must be a whole number, 0 or more"},
      {R"({"event":"RUN_DONE"})", "event must be one of RUN_START, RUN_FINISH, RUN_TIMEOUT, RUN_CANCELED"},
      {"[1]", "payload must be a JSON object"},
  };
  for (const auto& [payload, message] : refused) {
    auto checked = validate_run_payload(payload);
    REQUIRE_FALSE(checked);
    CHECK(checked.error().code == ErrorCode::invalid_argument);
    CHECK(checked.error().message == message);
  }
  CHECK(validate_run_payload(R"({"tags":["a",2]})").error().field == "tags[1]");
}
