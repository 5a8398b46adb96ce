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
#include <stdexcept>
#include <string>

namespace runhooks::cli {

/// ServerOptions' certificate or key cannot be used (the message names the
/// option and the file).
class TlsFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws TlsFileError unless the options name no TLS files, or a
/// certificate chain and its key that a server can use.
void check_tls_files(const ServerOptions& options);

class HttpServer {
 public:
  /// Listens on `host:port` (IPv4 or IPv6 literal; port 0 picks a free one),
  /// over TLS when the options name a certificate. Throws TlsFileError for
  /// a certificate or key it cannot use, std::runtime_error when it cannot
  /// listen.
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
