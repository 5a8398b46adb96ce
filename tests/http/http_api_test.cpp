// The management API, route by route, through HttpApi::handle.

#include <runhooks/runhooks.hpp>

#include "support/api_fixture.hpp"
#include "support/backends.hpp"
#include "support/bad_utf8.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

using namespace runhooks;
using namespace runhooks::test;


TEST_CASE("POST creates (201) and GET lists, in the wire envelopes", "[http]") {
  ApiFixture f;
  auto created = f.call("POST", "/webhooks?projectId=proj_a", f.rw,
                        R"({"url":"https://example.com/hook","headers":"{\"Authorization\":\"Bearer token\"}",)"
                        R"("hookEvents":["RUN_FINISH","RUN_START"],"label":"CI notifications"})");
  REQUIRE(created.status == 201);
  CHECK(created.content_type == "application/json");
  auto doc = ApiFixture::json(created);
  CHECK(std::string(doc["status"].GetString()) == "OK");
  const auto& hook = doc["data"];
  CHECK(std::string(hook["projectId"].GetString()) == "proj_a");
  CHECK(std::string(hook["headers"].GetString()) == R"({"Authorization":"Bearer token"})");
  CHECK(hook["hookEvents"].Size() == 2);
  CHECK_FALSE(hook.HasMember("secret"));

  auto listed = f.call("GET", "/webhooks?projectId=proj_a", f.ro);
  REQUIRE(listed.status == 200);
  auto list = ApiFixture::json(listed);
  REQUIRE(list["data"].IsArray());
  CHECK(list["data"].Size() == 1);
  CHECK(std::string(list["data"][0]["hookId"].GetString()) == hook["hookId"].GetString());
  CHECK(ApiFixture::json(f.call("GET", "/webhooks?projectId=proj%5Fa", f.rw))["data"].Size() == 1);
}

TEST_CASE("GET, PUT, DELETE one hook", "[http]") {
  ApiFixture f;
  const std::string id = f.create_hook();
  auto got = f.call("GET", "/webhooks/" + id, f.rw);
  REQUIRE(got.status == 200);
  CHECK(ApiFixture::json(got)["data"]["label"].IsNull());

  auto updated = f.call("PUT", "/webhooks/" + id, f.rw, R"({"label":"new","headers":null})");
  REQUIRE(updated.status == 200);
  CHECK(std::string(ApiFixture::json(updated)["data"]["label"].GetString()) == "new");

  auto empty = f.call("PUT", "/webhooks/" + id, f.rw, "{}");
  CHECK(empty.status == 400);
  CHECK(ApiFixture::error_of(empty) ==
        "Invalid request body: At least one field to update must be provided (url, headers, hookEvents, or label)");

  auto deleted = f.call("DELETE", "/webhooks/" + id, f.rw);
  REQUIRE(deleted.status == 200);
  const auto doc = ApiFixture::json(deleted);
  CHECK(std::string(doc["data"]["hookId"].GetString()) == id);
  CHECK(std::string(doc["data"]["projectId"].GetString()) == "proj_a");
  CHECK(f.call("GET", "/webhooks/" + id, f.rw).status == 404);
  CHECK(ApiFixture::error_of(f.call("DELETE", "/webhooks/" + id, f.rw)) == "Not found");
}

TEST_CASE("a hook's state shows in the Webhook object, and PUT disables and enables it", "[http]") {
  ApiFixture f;
  const std::string id = f.create_hook();
  auto got = ApiFixture::json(f.call("GET", "/webhooks/" + id, f.rw));
  CHECK(got["data"]["enabled"].GetBool());
  CHECK(got["data"]["disabledReason"].IsNull());
  CHECK(got["data"]["disabledAt"].IsNull());

  CHECK(f.call("PUT", "/webhooks/" + id, f.ro, R"({"enabled":false})").status == 403);
  CHECK(f.call("PUT", "/webhooks/" + id, f.other, R"({"enabled":false})").status == 404);
  auto disabled = f.call("PUT", "/webhooks/" + id, f.rw, R"({"enabled":false,"disabledReason":"maintenance"})");
  REQUIRE(disabled.status == 200);
  auto listed = ApiFixture::json(f.call("GET", "/webhooks?projectId=proj_a", f.ro));
  const auto& hook = listed["data"][0];
  CHECK_FALSE(hook["enabled"].GetBool());
  CHECK(std::string(hook["disabledReason"].GetString()) == "maintenance");
  CHECK(std::string(hook["disabledAt"].GetString()) == hook["updatedAt"].GetString());

  auto bad = f.call("PUT", "/webhooks/" + id, f.rw, R"({"enabled":true,"disabledReason":"x"})");
  CHECK(bad.status == 400);
  CHECK(ApiFixture::error_of(bad) ==
        "Invalid request body: disabledReason is only accepted with \"enabled\": false");
  auto enabled = ApiFixture::json(f.call("PUT", "/webhooks/" + id, f.rw, R"({"enabled":true})"));
  CHECK(enabled["data"]["enabled"].GetBool());
  CHECK(enabled["data"]["disabledReason"].IsNull());
  CHECK(enabled["data"]["disabledAt"].IsNull());
}

TEST_CASE("bad input is 400 naming the field, nothing is stored", "[http]") {
  ApiFixture f;
  const std::string long_url = "https://example.com/" + std::string(2030, 'a');
  const std::pair<std::string, std::string> cases[] = {
      {R"({"url":")" + long_url + R"("})", "Invalid request body: url must be at most 2048 characters"},
      {R"({"label":"x"})", "Invalid request body: url is required"},
      {R"({"url":"https://e.com/","hookEvents":["RUN_BEGIN"]})", "Invalid request body: hookEvents contains unknown event"},
      {R"({"url":"https://e.com/","headers":"{\"Host\":\"x\"}"})", "Invalid request body: header 'Host' is reserved"},
      {"{not json", "Invalid request body: body is not valid JSON"},
      {"[]", "Invalid request body: body must be a JSON object"},
  };
  for (const auto& [body, message] : cases) {
    INFO(body);
    auto r = f.call("POST", "/webhooks?projectId=proj_a", f.rw, body);
    CHECK(r.status == 400);
    CHECK_THAT(ApiFixture::error_of(r), Catch::StartsWith(message));
  }
  CHECK(ApiFixture::error_of(f.call("POST", "/webhooks", f.rw, R"({"url":"https://e.com/"})")) ==
        "projectId is required");
  CHECK(f.call("GET", "/webhooks?projectId=", f.rw).status == 400);
  auto text = f.call("POST", "/webhooks?projectId=proj_a", f.rw, R"({"url":"https://e.com/"})", "text/plain");
  CHECK(text.status == 415);
  CHECK(ApiFixture::error_of(text) == "Content-Type must be application/json");
  CHECK(f.call("POST", "/webhooks?projectId=proj_a", f.rw, R"({"url":"https://e.com/"})",
               "application/json; charset=utf-8").status == 201);
  auto huge = f.call("POST", "/webhooks?projectId=proj_a", f.rw, std::string(64 * 1024 + 1, ' '));
  CHECK(huge.status == 413);
  CHECK(ApiFixture::json(f.call("GET", "/webhooks?projectId=proj_a", f.rw))["data"].Size() == 1);
}

TEST_CASE("any hookId string is 400 or 404, never 500", "[http]") {
  ApiFixture f;
  for (const char* id : {"not-a-uuid", "550e8400-e29b-41d4-a716-44665544000", "%00", "..", "' OR 1=1",
                         "550e8400-e29b-41d4-a716-446655440000"}) {
    INFO(id);
    for (const char* method : {"GET", "PUT", "DELETE"}) {
      const int status = f.call(method, std::string("/webhooks/") + id, f.rw, R"({"label":"x"})").status;
      CHECK((status == 400 || status == 404));
    }
  }
}

TEST_CASE("keys: none or unknown 401, read-only writing 403, out of scope 404", "[http]") {
  ApiFixture f;
  const std::string id = f.create_hook("proj_a");
  const std::string b_id = f.create_hook("proj_b");
  for (const std::string& key : {std::string(), std::string("rhk_unknown"), std::string("garbage")}) {
    auto r = f.call("GET", "/webhooks?projectId=proj_a", key);
    CHECK(r.status == 401);
    CHECK(ApiFixture::error_of(r) == "Invalid authentication credentials");
  }
  CHECK(f.call("POST", "/webhooks?projectId=proj_a", f.ro, R"({"url":"https://e.com/"})").status == 403);
  CHECK(f.call("PUT", "/webhooks/" + id, f.ro, R"({"label":"x"})").status == 403);
  CHECK(f.call("DELETE", "/webhooks/" + id, f.ro).status == 403);
  CHECK(f.call("POST", "/webhooks/" + id + "/secret/rotate", f.ro).status == 403);
  CHECK(f.call("GET", "/webhooks/" + id, f.ro).status == 200);

  // Another project's hooks do not exist for this key, whatever the method.
  CHECK(f.call("GET", "/webhooks/" + b_id, f.rw).status == 404);
  CHECK(f.call("PUT", "/webhooks/" + b_id, f.ro, R"({"label":"x"})").status == 404);
  CHECK(f.call("DELETE", "/webhooks/" + b_id, f.rw).status == 404);
  CHECK(f.call("GET", "/webhooks/" + b_id + "/secret", f.rw).status == 404);
  CHECK(f.call("GET", "/webhooks?projectId=proj_b", f.rw).status == 404);
  CHECK(f.call("POST", "/webhooks?projectId=proj_b", f.rw, R"({"url":"https://e.com/"})").status == 404);
  CHECK(f.call("GET", "/webhooks/" + b_id, f.other).status == 200);

  REQUIRE(f.keys.list()->size() == 4);
  auto ro_key = f.keys.authenticate(f.ro);
  REQUIRE(ro_key);
  REQUIRE(f.keys.revoke(ro_key->key_id));
  CHECK(f.call("GET", "/webhooks/" + id, f.ro).status == 401);
  for (const ApiKey& k : *f.keys.list()) CHECK(k.key_hash.find(f.rw) == std::string::npos);
}

TEST_CASE("the secret is read and rotated through its own routes", "[http]") {
  ApiFixture f;
  const std::string id = f.create_hook();
  // A read-only key may not: the secret would let it forge deliveries.
  CHECK(f.call("GET", "/webhooks/" + id + "/secret", f.ro).status == 403);
  auto secret = f.call("GET", "/webhooks/" + id + "/secret", f.rw);
  REQUIRE(secret.status == 200);
  const std::string before = ApiFixture::json(secret)["data"]["secret"].GetString();
  CHECK(before.rfind("whsec_", 0) == 0);
  auto rotated = f.call("POST", "/webhooks/" + id + "/secret/rotate", f.rw);
  REQUIRE(rotated.status == 200);
  const std::string after = ApiFixture::json(rotated)["data"]["secret"].GetString();
  CHECK(after != before);
  CHECK(std::string(ApiFixture::json(f.call("GET", "/webhooks/" + id + "/secret", f.rw))["data"]["secret"].GetString()) == after);
}

TEST_CASE("unknown routes 404, wrong methods 405, openapi.json is served", "[http]") {
  ApiFixture f;
  CHECK(f.call("GET", "/nothing", f.rw).status == 404);
  CHECK(f.call("GET", "/webhooks/a/b/c/d", f.rw).status == 404);
  auto patch = f.call("PATCH", "/webhooks?projectId=proj_a", f.rw);
  CHECK(patch.status == 405);
  REQUIRE(patch.headers.size() == 1);
  CHECK(patch.headers[0].second == "GET, POST");
  auto doc = f.call("GET", "/openapi.json", "");
  REQUIRE(doc.status == 200);
  auto spec = ApiFixture::json(doc);
  CHECK(std::string(spec["openapi"].GetString()) == "3.0.3");
  CHECK(spec["paths"].HasMember("/webhooks/{hookId}/secret/rotate"));
}

TEST_CASE("API keys: scoped, hashed, shown once", "[http][keys]") {
  SqliteBackend backend;
  ApiKeys keys(backend.open());
  CHECK(keys.create({{}, false, false, ""}).error().field == "projects");
  CHECK(keys.create({{""}, false, false, ""}).error().field == "projectId");
  auto created = keys.create({{"p1", "p2"}, false, true, "ci"});
  REQUIRE(created);
  CHECK(created->key.rfind("rhk_", 0) == 0);
  CHECK(created->key.size() == 4 + 43);
  CHECK(created->stored.key_hash.size() == 64);
  CHECK(created->stored.key_hash.find(created->key) == std::string::npos);
  auto found = keys.authenticate(created->key);
  REQUIRE(found);
  CHECK(in_scope(*found, "p2"));
  CHECK_FALSE(in_scope(*found, "p3"));
  CHECK(found->read_only);
  CHECK(keys.authenticate(created->key + "x").error().code == ErrorCode::unauthenticated);
  CHECK(keys.revoke("key_nope").error().code == ErrorCode::not_found);
}

TEST_CASE("API keys: a label must be valid UTF-8", "[http][keys][utf8]") {
  SqliteBackend backend;
  ApiKeys keys(backend.open());
  for (const auto& bad : with_invalid_utf8("deploy ", "bot")) {
    INFO(bad.what);
    auto refused = keys.create({{"p1"}, false, false, bad.text});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::invalid_argument);
    CHECK(refused.error().field == "label");
    CHECK(refused.error().message == "label must be valid UTF-8");
  }
  auto with_nul = keys.create({{"p1"}, false, false, std::string("deploy\0bot", 10)});
  REQUIRE_FALSE(with_nul);
  CHECK(with_nul.error().message == "label must not contain a NUL character");
  CHECK(keys.list()->empty());
  CHECK(keys.create({{"p1"}, false, false, "d\xc3\xa9ploiement \xf0\x9f\x9a\x80"}));
}

TEST_CASE("a control character in the path or the query, raw or escaped, is 400", "[http]") {
  ApiFixture f;
  f.create_hook();
  auto status = [&](const std::string& path, const std::string& query) {
    ApiRequest request;
    request.method = "GET";
    request.path = path;
    request.query = query;
    request.authorization = "Bearer " + f.all;
    return f.api.handle(request);
  };
  CHECK(status(std::string("/webhooks\0/x", 12), "projectId=proj_a").status == 400);
  CHECK(f.error_of(status(std::string("/webhooks\0/x", 12), "projectId=proj_a")) == "Invalid request path");
  CHECK(status("/webhooks\x1f", "projectId=proj_a").status == 400);
  for (const std::string& query :
       std::vector<std::string>{"projectId=proj_a%00evil", std::string("projectId=proj_a\0evil", 21),
                                "projectId=proj_a%zz", "projectId=proj_a%", "projectId=proj_a&x=%1F"}) {
    INFO(query);
    const auto r = status("/webhooks", query);
    CHECK(r.status == 400);
    CHECK(f.error_of(r) == "Invalid query string");
  }
  CHECK(status("/webhooks", "projectId=proj_a&x=%7E").status == 200);
}

TEST_CASE("an error that quotes the request is valid UTF-8, a BOM is not JSON (found by fuzzing)", "[http][utf8]") {
  ApiFixture f;
  auto events = f.call("POST", "/webhooks?projectId=proj_a", f.rw, R"({"url":"https://e.com/","hookEvents":["\udc00"]})");
  CHECK(events.status == 400);
  CHECK(f.error_of(events) == "Invalid request body: hookEvents contains unknown event "
                              "'\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd' (allowed: RUN_FINISH, RUN_START, RUN_TIMEOUT, RUN_CANCELED)");
  auto name = f.call("POST", "/webhooks?projectId=proj_a", f.rw, R"({"url":"https://e.com/","headers":"{\"\\udc00\":\"x\"}"})");
  CHECK(name.status == 400);
  CHECK(f.error_of(name) == "Invalid request body: header name '\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd' is not a valid HTTP token");
  auto bom = f.call("POST", "/webhooks?projectId=proj_a", f.rw, "\xef\xbb\xbf{\"url\":\"https://e.com/\"}");
  CHECK(bom.status == 400);
  CHECK_THAT(f.error_of(bom), Catch::Contains("byte-order mark"));
  CHECK(f.call("GET", "/webhooks?projectId=proj_a", f.rw).body == R"({"status":"OK","data":[]})");
}
