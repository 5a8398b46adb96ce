#include "http_server.hpp"

#include <httplib.h>

#include <stdexcept>

namespace runhooks::cli {

struct HttpServer::Impl {
  std::shared_ptr<HttpApi> api;
  httplib::Server server;
  int port = 0;
};

HttpServer::HttpServer(std::shared_ptr<HttpApi> api, const std::string& host, int port, int threads)
    : impl_(std::make_unique<Impl>()) {
  impl_->api = std::move(api);
  httplib::Server& s = impl_->server;
  // Without TCP_NODELAY keep-alive clients stall 40 ms per request (Nagle
  // against delayed ACKs).
  s.set_tcp_nodelay(true);
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.set_keep_alive_max_count(1000);
  s.set_keep_alive_timeout(5);
  // A slow client cannot hold a worker for longer than these.
  s.set_read_timeout(5, 0);
  s.set_write_timeout(5, 0);
  // Larger than the API's own 64 KiB limit, so the API answers 413 in its envelope.
  s.set_payload_max_length(1024 * 1024);

  auto handler = [api = impl_->api](const httplib::Request& req, httplib::Response& res) {
    ApiRequest request;
    request.method = req.method;
    const auto q = req.target.find('?');
    request.path = req.target.substr(0, q);
    request.query = q == std::string::npos ? "" : req.target.substr(q + 1);
    request.authorization = req.get_header_value("Authorization");
    request.content_type = req.get_header_value("Content-Type");
    request.body = req.body;
    ApiResponse response = api->handle(request);
    res.status = response.status;
    for (const auto& [name, value] : response.headers) res.set_header(name, value);
    res.set_content(response.body, response.content_type.c_str());
  };
  for (const char* pattern : {".*"}) {
    s.Get(pattern, handler);
    s.Post(pattern, handler);
    s.Put(pattern, handler);
    s.Delete(pattern, handler);
    s.Patch(pattern, handler);
    s.Options(pattern, handler);
  }
  // Requests cpp-httplib refuses before routing (e.g. a POST without a
  // Content-Length) still answer in the API's envelope.
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    const std::string reason = res.status == 400 ? "Bad request (a POST or PUT needs a Content-Length, 0 when empty)"
                                                 : "HTTP error " + std::to_string(res.status);
    res.set_content(R"({"status":"FAILED","error":")" + reason + R"("})", "application/json");
  });
  impl_->port = port == 0 ? s.bind_to_any_port(host) : (s.bind_to_port(host, port) ? port : -1);
  if (impl_->port < 0) throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port));
}

HttpServer::~HttpServer() { stop(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::run() { impl_->server.listen_after_bind(); }

void HttpServer::stop() { impl_->server.stop(); }

}  // namespace runhooks::cli
