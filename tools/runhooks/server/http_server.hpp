#pragma once
// HttpApi on a real HTTP/1.1 server for `runhooks serve`: Boost.Beast's
// parser (Debian's libboost-dev) on Boost.Asio, chosen over libmicrohttpd by
// measurement (bench/README.md). One thread serves every socket; HttpApi
// runs on a pool of its own, so neither a slow client nor a slow storage
// call holds up the others. Deadlines, limits and the room policy are
// ServerOptions'.

#include "server/server_options.hpp"

#include <runhooks/http_api.hpp>

#include <memory>
#include <string>

namespace runhooks::cli {

class HttpServer {
 public:
  /// Listens on `host:port` (IPv4 or IPv6 literal; port 0 picks a free one).
  /// Throws std::runtime_error when it cannot.
  HttpServer(std::shared_ptr<HttpApi> api, const std::string& host, int port, ServerOptions options = {});
  /// Stops, as stop() does.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  /// Stops accepting, closes connections with no request in hand, answers
  /// the requests being handled (for up to 5 s), then closes the rest.
  /// False when requests stuck on the store were left running: their
  /// threads still use the process's state, so the process must then end
  /// with std::_Exit, not exit (whose teardown, OpenSSL's atexit cleanup
  /// and static destructors, would free it under them).
  /// Idempotent; not from a handler.
  bool stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runhooks::cli
