// The web console's static files as HttpApi serves them: routes, content
// types, caching, ETag and 304, the security headers, and the options that
// turn it off. The console itself is tested in a browser (console_test.py).

#include <runhooks/runhooks.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>

namespace {

using runhooks::ApiRequest;
using runhooks::ApiResponse;

std::string header(const ApiResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return {};
}

ApiResponse get(const runhooks::HttpApi& api, const std::string& path, const std::string& if_none_match = "") {
  ApiRequest request;
  request.method = "GET";
  request.path = path;
  request.if_none_match = if_none_match;
  return api.handle(request);
}

std::shared_ptr<runhooks::Storage> memory_store() {
  auto store = runhooks::open_storage("memory:");
  REQUIRE(store);
  return *store;
}

}  // namespace

TEST_CASE("the console is served without a key, with strict headers", "[console][http]") {
  const runhooks::HttpApi api(memory_store());

  const ApiResponse page = get(api, "/console/");
  CHECK(page.status == 200);
  CHECK(page.content_type == "text/html; charset=utf-8");
  CHECK(page.body.find("<script type=\"module\" src=\"app.js\">") != std::string::npos);
  const std::string csp = header(page, "Content-Security-Policy");
  CHECK(csp.find("default-src 'self'") != std::string::npos);
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  CHECK(header(page, "X-Content-Type-Options") == "nosniff");
  CHECK(header(page, "Referrer-Policy") == "no-referrer");
  CHECK(header(page, "Cache-Control") == "no-cache");
  CHECK(header(page, "ETag").size() > 2);

  CHECK(get(api, "/console/index.html").body == page.body);
  CHECK(get(api, "/v1/console/").body == page.body);
  CHECK(get(api, "/console/app.js").content_type == "text/javascript; charset=utf-8");
  CHECK(get(api, "/console/app.css").content_type == "text/css; charset=utf-8");
  CHECK(get(api, "/console/icon.svg").content_type == "image/svg+xml");
  for (const char* missing : {"/console/nothing.js", "/console/app.js/more"}) {
    INFO(missing);
    const ApiResponse not_found = get(api, missing);
    CHECK(not_found.status == 404);
    // A refusal is served from the console's origin too: same policy.
    CHECK(header(not_found, "Content-Security-Policy") == csp);
    CHECK(header(not_found, "X-Content-Type-Options") == "nosniff");
    CHECK(header(not_found, "X-Frame-Options") == "DENY");
  }
}

TEST_CASE("/console redirects to console/, relative to any prefix", "[console][http]") {
  const runhooks::HttpApi api(memory_store());
  const ApiResponse moved = get(api, "/console");
  CHECK(moved.status == 308);
  CHECK(header(moved, "Location") == "console/");
}

TEST_CASE("a console asset answers 304 to its ETag", "[console][http]") {
  const runhooks::HttpApi api(memory_store());
  const std::string etag = header(get(api, "/console/app.js"), "ETag");
  const ApiResponse same = get(api, "/console/app.js", etag);
  CHECK(same.status == 304);
  CHECK(same.body.empty());
  CHECK(header(same, "ETag") == etag);
  CHECK(get(api, "/console/app.js", "\"other\", W/" + etag).status == 304);
  CHECK(get(api, "/console/app.js", "*").status == 304);
  CHECK(get(api, "/console/app.js", "\"other\"").status == 200);
  CHECK(get(api, "/console/app.css", etag).status == 200);
}

TEST_CASE("the console takes GET only, and can be turned off", "[console][http]") {
  ApiRequest post;
  post.method = "POST";
  post.path = "/console/";
  const runhooks::HttpApi api(memory_store());
  const ApiResponse refused = api.handle(post);
  CHECK(refused.status == 405);
  CHECK(header(refused, "Allow") == "GET");

  runhooks::HttpApiOptions off;
  off.serve_console = false;
  CHECK(get(runhooks::HttpApi(memory_store(), off), "/console/").status == 404);
  runhooks::HttpApiOptions operations;
  operations.operations_only = true;
  CHECK(get(runhooks::HttpApi(memory_store(), operations), "/console/").status == 404);
}
