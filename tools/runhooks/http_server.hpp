#pragma once
// HttpApi on a real HTTP server: GNU libmicrohttpd (Debian's
// libmicrohttpd-dev), chosen over cpp-httplib by measurement (bench/README.md):
// an epoll thread pool, keep-alive, a per-connection idle timeout so a slow
// client cannot hold a worker, and request bodies capped.

#include <runhooks/http_api.hpp>

#include <memory>
#include <string>

namespace runhooks::cli {

class HttpServer {
 public:
  /// Listens on `host:port` (IPv4 or IPv6 literal; port 0 picks a free one)
  /// with `threads` workers. Throws std::runtime_error when it cannot.
  HttpServer(std::shared_ptr<HttpApi> api, const std::string& host, int port, int threads);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  /// Stops accepting, lets requests in progress finish, and closes. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runhooks::cli
