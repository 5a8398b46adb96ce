// Every wire-format rule at its limits (wire-format.md §1, §3).

#include <runhooks/validation.hpp>

#include <catch2/catch.hpp>

using namespace runhooks;

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
    check_invalid(validate_headers("{\"X-A\": \"\xc3\x28\"}"), "headers", "JSON object");
    check_invalid(validate_headers("{\"X-A\": \"\xed\xa0\x80\"}"), "headers", "JSON object");
  }
  SECTION("CR, LF, NUL in values: header injection") {
    check_invalid(validate_headers(R"({"X-A": "v\r\nX-Evil: 1"})"), "headers", "CR, LF or NUL");
    check_invalid(validate_headers(R"({"X-A": "v\nX"})"), "headers", "CR, LF or NUL");
    check_invalid(validate_headers(R"({"X-A": "v\rX"})"), "headers", "CR, LF or NUL");
    check_invalid(validate_headers(R"({"X-A": "v\u0000X"})"), "headers", "CR, LF or NUL");
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
