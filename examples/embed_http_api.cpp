// embed_http_api: the management API inside an application's own server.
//
// Shows: HttpApi is a plain request -> response function, so any HTTP server
// can mount it. Here an application that already serves /health with
// cpp-httplib adds the webhook API under /api (stripping the prefix), next to
// its own routes, then calls it once as a client would.
//
// Usage: embed_http_api [STORE_URI]   (default memory:)

#include <runhooks/runhooks.hpp>

#include <httplib.h>

#include <cstdio>
#include <thread>

int main(int argc, char** argv) {
  auto store = runhooks::open_storage(argc > 1 ? argv[1] : "memory:");
  if (!store) return 1;
  auto key = runhooks::ApiKeys(*store).create({{"proj_demo"}, false, false, "embedded"});
  if (!key) return 1;
  runhooks::HttpApi api(*store);

  httplib::Server app;
  app.set_tcp_nodelay(true);
  app.Get("/health", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
  // Everything under /api goes to runhooks.
  auto mount = [&api](const httplib::Request& req, httplib::Response& res) {
    runhooks::ApiRequest request;
    request.method = req.method;
    const std::string target = req.target.substr(4);  // drop "/api"
    const auto q = target.find('?');
    request.path = target.substr(0, q);
    request.query = q == std::string::npos ? "" : target.substr(q + 1);
    request.authorization = req.get_header_value("Authorization");
    request.content_type = req.get_header_value("Content-Type");
    request.body = req.body;
    const runhooks::ApiResponse response = api.handle(request);
    res.status = response.status;
    for (const auto& [name, value] : response.headers) res.set_header(name, value);
    res.set_content(response.body, response.content_type.c_str());
  };
  app.Get(R"(/api/.*)", mount);
  app.Post(R"(/api/.*)", mount);
  app.Put(R"(/api/.*)", mount);
  app.Delete(R"(/api/.*)", mount);
  const int port = app.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { app.listen_after_bind(); });

  httplib::Client client("127.0.0.1", port);
  const httplib::Headers auth = {{"Authorization", "Bearer " + key->key}};
  auto created = client.Post("/api/webhooks?projectId=proj_demo", auth,
                             R"({"url":"https://example.com/hook","label":"from the app"})", "application/json");
  auto listed = client.Get("/api/webhooks?projectId=proj_demo", auth);
  auto health = client.Get("/health");
  std::printf("POST /api/webhooks -> %d %s\n", created ? created->status : 0, created ? created->body.c_str() : "");
  std::printf("GET  /api/webhooks -> %d %s\n", listed ? listed->status : 0, listed ? listed->body.c_str() : "");
  std::printf("GET  /health       -> %d %s\n", health ? health->status : 0, health ? health->body.c_str() : "");
  app.stop();
  serving.join();
  return created && created->status == 201 && listed && listed->status == 200 ? 0 : 1;
}
