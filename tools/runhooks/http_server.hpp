#pragma once
// HttpApi on a real HTTP server: cpp-httplib (Debian's libcpp-httplib) with a
// worker pool, keep-alive, TCP_NODELAY and request size and time limits.

#include <runhooks/http_api.hpp>

#include <memory>
#include <string>

namespace runhooks::cli {

class HttpServer {
 public:
  /// Binds `host:port` (port 0 picks a free one); the port is `port()`.
  /// Throws std::runtime_error when it cannot bind.
  HttpServer(std::shared_ptr<HttpApi> api, const std::string& host, int port, int threads);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  /// Serves until `stop`; returns then. Call from one thread.
  void run();
  /// Stops accepting and returns from `run` after requests in progress end. Any thread.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runhooks::cli
