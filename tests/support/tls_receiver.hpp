#pragma once
// HTTPS for the tests of whom deliveries trust: a private CA and a server
// certificate for 127.0.0.1 signed by it, made at test time with the
// `openssl` command; and an HTTPS receiver on 127.0.0.1 that presents that
// certificate, records each request and answers 200.

#include "support/temp_dir.hpp"
#include "support/test_receiver.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

typedef struct ssl_ctx_st SSL_CTX;

namespace runhooks::test {

/// A CA (RSA-2048, self-signed) and an RSA-2048 server certificate signed
/// by it for IP 127.0.0.1 (subjectAltName), valid for two days, in a
/// temporary directory; `ca_directory` holds the CA under its hashed name
/// (what CURLOPT_CAPATH reads). Throws when `openssl` fails.
struct TestCertificates {
  TempDir dir;
  std::string ca_file = dir.file("ca.pem");
  std::string ca_directory = dir.file("ca.d");
  std::string server_certificate = dir.file("server.pem");
  std::string server_key = dir.file("server.key");

  TestCertificates();
};

/// A TLS server context presenting this certificate chain and key (PEM
/// files); the caller frees it. Throws when they cannot be loaded.
SSL_CTX* server_tls_context(const std::string& certificate_file, const std::string& key_file);

/// An HTTPS/1.1 server on 127.0.0.1 (port picked by the kernel), one
/// connection at a time, one request per connection (it answers
/// `Connection: close`).
class TlsReceiver {
 public:
  /// Listens at once with this certificate chain and key (PEM files).
  TlsReceiver(const std::string& certificate_file, const std::string& key_file);
  ~TlsReceiver();
  TlsReceiver(const TlsReceiver&) = delete;
  TlsReceiver& operator=(const TlsReceiver&) = delete;

  int port() const { return port_; }
  /// `https://127.0.0.1:PORT` + path.
  std::string url(const std::string& path = "/hook") const;

  std::vector<ReceivedRequest> requests() const;
  /// True once `n` requests arrived, false after `timeout`.
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  /// Connections accepted, and those whose TLS handshake failed (a client
  /// that refused the certificate).
  std::size_t connections() const;
  std::size_t failed_handshakes() const;
  /// True once `n` handshakes failed, false after `timeout`.
  bool wait_for_failed_handshakes(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  void accept_loop();
  void serve(int fd);

  SSL_CTX* context_ = nullptr;
  int listen_fd_ = -1;
  int port_ = 0;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;  ///< a request arrived or a handshake failed
  std::vector<ReceivedRequest> requests_;
  std::size_t connections_ = 0;
  std::size_t failed_handshakes_ = 0;
  int serving_fd_ = -1;  ///< the connection being served, shut down to stop
  std::thread acceptor_;
};

}  // namespace runhooks::test
