#pragma once
// What `runhooks serve` promises a network: how long a client may take, how
// much it may send, and how many connections it may hold.

#include <chrono>
#include <cstddef>
#include <string>

namespace runhooks::cli {

struct ServerOptions {
  /// Threads running HttpApi (storage calls). Sockets are served by one more
  /// thread of their own, so a slow storage call never holds up I/O.
  int threads = 8;
  /// Open connections at most. When full, a new connection pushes out the
  /// connection that has waited longest for its request to arrive; one whose
  /// request is being handled is never pushed out.
  std::size_t max_connections = 1024;
  /// A request's line and headers must arrive within this of its start (the
  /// connection's accept, or the request's first byte on a kept-alive one)...
  std::chrono::milliseconds header_timeout = std::chrono::seconds(10);
  /// ...and its body too within this.
  std::chrono::milliseconds request_timeout = std::chrono::seconds(30);
  /// A connection that sends nothing for this long, within a request or
  /// between two, is closed.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(5);
  /// A response must be taken by the client within this.
  std::chrono::milliseconds write_timeout = std::chrono::seconds(10);
  /// The request line at most (414 above)...
  std::size_t max_request_line_bytes = 8 * 1024;
  /// ...and the request line with every header field (431 above)...
  std::size_t max_header_bytes = 16 * 1024;
  /// ...in at most this many fields (431 above): each costs the parser an
  /// allocation, so many tiny ones would cost more than their bytes.
  std::size_t max_header_fields = 100;
  /// Bodies over this are answered 413 (401 without a valid key) without
  /// being read further, and the connection closed.
  std::size_t max_body_bytes = 64 * 1024;
  /// HTTPS when both are set: the certificate chain (PEM, the server's
  /// certificate first) and its private key (PEM, unencrypted). TLS 1.2 at
  /// least; the handshake counts toward header_timeout.
  std::string tls_certificate_file;
  std::string tls_private_key_file;
};

}  // namespace runhooks::cli
