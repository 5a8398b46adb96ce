#pragma once
// HttpApi called as a server would call it, on a SQLite store, with a key
// of each kind: read-write and read-only for proj_a, one for proj_b, and
// one for every project.

#include <runhooks/runhooks.hpp>

#include "support/backends.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <string>

namespace runhooks::test {

struct ApiFixture {
  ApiFixture() = default;
  explicit ApiFixture(HttpApiOptions api_options) : options(std::move(api_options)) {}

  SqliteBackend backend;
  std::shared_ptr<Storage> store = backend.open();
  HttpApiOptions options;
  HttpApi api{store, options};
  ApiKeys keys{store};
  std::string rw = create_key({{"proj_a"}, false, false, "rw"});
  std::string ro = create_key({{"proj_a"}, false, true, "ro"});
  std::string other = create_key({{"proj_b"}, false, false, "b"});
  std::string all = create_key({{}, true, false, "all"});

  std::string create_key(const ApiKeyScope& scope) {
    auto created = keys.create(scope);
    REQUIRE(created);
    return created->key;
  }

  ApiResponse call(const std::string& method, const std::string& target, const std::string& key,
                   const std::string& body = "", const std::string& content_type = "application/json") {
    ApiRequest request;
    request.method = method;
    const auto q = target.find('?');
    request.path = target.substr(0, q);
    request.query = q == std::string::npos ? "" : target.substr(q + 1);
    request.authorization = key.empty() ? "" : "Bearer " + key;
    request.content_type = content_type;
    request.body = body;
    return api.handle(request);
  }

  std::string create_hook(const std::string& project = "proj_a") {
    auto r = call("POST", "/webhooks?projectId=" + project, all, R"({"url":"https://example.com/h"})");
    REQUIRE(r.status == 201);
    return json(r)["data"]["hookId"].GetString();
  }

  static rapidjson::Document json(const ApiResponse& r) {
    rapidjson::Document doc;
    doc.Parse(r.body.c_str());
    REQUIRE(doc.IsObject());
    return doc;
  }

  static std::string error_of(const ApiResponse& r) {
    auto doc = json(r);
    REQUIRE(std::string(doc["status"].GetString()) == "FAILED");
    return doc["error"].GetString();
  }
};


}  // namespace runhooks::test
