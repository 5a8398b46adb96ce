#include "support/tls_receiver.hpp"

#include "support/loopback_listener.hpp"
#include "support/process.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace runhooks::test {

namespace {

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

// `openssl ARGS...` (found on the PATH), which must succeed.
void openssl(std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/env", "openssl"});
  const ProcessResult result = run_process(args);
  if (result.exit_code != 0) throw std::runtime_error("openssl " + args.at(2) + " failed: " + result.err);
}

}  // namespace

TestCertificates::TestCertificates() {
  // Configuration files of our own: the system's openssl.cnf adds nothing.
  const std::string ca_config = dir.file("ca.cnf");
  write_file(ca_config,
             "[req]\nprompt = no\ndistinguished_name = dn\nx509_extensions = ca\n"
             "[dn]\nCN = runhooks test CA\n"
             "[ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n"
             "subjectKeyIdentifier = hash\n");
  const std::string server_config = dir.file("server.cnf");
  write_file(server_config, "[req]\nprompt = no\ndistinguished_name = dn\n[dn]\nCN = 127.0.0.1\n");
  const std::string server_extensions = dir.file("server.ext");
  write_file(server_extensions,
             "subjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\n"
             "keyUsage = critical, digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth\n"
             "authorityKeyIdentifier = keyid\n");
  const std::string ca_key = dir.file("ca.key");
  const std::string request = dir.file("server.csr");
  openssl({"req", "-x509", "-config", ca_config, "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_file,
           "-days", "2"});
  openssl({"req", "-new", "-config", server_config, "-newkey", "rsa:2048", "-nodes", "-keyout", server_key, "-out",
           request});
  openssl({"x509", "-req", "-in", request, "-CA", ca_file, "-CAkey", ca_key, "-set_serial", "2", "-days", "2",
           "-extfile", server_extensions, "-out", server_certificate});
  std::filesystem::create_directory(ca_directory);
  std::filesystem::copy_file(ca_file, ca_directory + "/ca.pem");
  openssl({"rehash", ca_directory});  // links it as HASH.0
}

SSL_CTX* server_tls_context(const std::string& certificate_file, const std::string& key_file) {
  SSL_CTX* context = SSL_CTX_new(TLS_server_method());
  if (context == nullptr || SSL_CTX_use_certificate_chain_file(context, certificate_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(context, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    SSL_CTX_free(context);
    throw std::runtime_error("cannot load " + certificate_file + " and " + key_file);
  }
  return context;
}

TlsReceiver::TlsReceiver(const std::string& certificate_file, const std::string& key_file) {
  context_ = server_tls_context(certificate_file, key_file);
  signal(SIGPIPE, SIG_IGN);  // an answer to a client gone is not the test's end
  if (pipe(stop_pipe_) != 0) throw std::runtime_error("pipe");
  const LoopbackListener listener = listen_on_loopback(64);
  listen_fd_ = listener.fd;
  port_ = listener.port;
  acceptor_ = std::thread([this] { accept_loop(); });
}

TlsReceiver::~TlsReceiver() {
  stopping_ = true;
  (void)!write(stop_pipe_[1], "x", 1);
  {
    std::lock_guard lock(mutex_);
    if (serving_fd_ >= 0) shutdown(serving_fd_, SHUT_RDWR);
  }
  acceptor_.join();
  close(listen_fd_);
  close(stop_pipe_[0]);
  close(stop_pipe_[1]);
  SSL_CTX_free(context_);
}

std::string TlsReceiver::url(const std::string& path) const {
  return "https://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<ReceivedRequest> TlsReceiver::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t TlsReceiver::connections() const {
  std::lock_guard lock(mutex_);
  return connections_;
}

std::size_t TlsReceiver::failed_handshakes() const {
  std::lock_guard lock(mutex_);
  return failed_handshakes_;
}

bool TlsReceiver::wait_for_failed_handshakes(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return failed_handshakes_ >= n; });
}

bool TlsReceiver::wait_for(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

void TlsReceiver::accept_loop() {
  while (!stopping_) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) return;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const timeval patience{5, 0};  // a client that says nothing does not hold the next one for long
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
    {
      std::lock_guard lock(mutex_);
      ++connections_;
      serving_fd_ = stopping_ ? -1 : fd;
    }
    if (!stopping_) serve(fd);
    std::lock_guard lock(mutex_);
    serving_fd_ = -1;
    close(fd);
  }
}

namespace {

// Reads more of the request into `buffer`; false on EOF or error.
bool read_more(SSL* ssl, std::string& buffer) {
  char chunk[16384];
  const int n = SSL_read(ssl, chunk, sizeof chunk);
  if (n <= 0) return false;
  buffer.append(chunk, static_cast<std::size_t>(n));
  return true;
}

// The request in `buffer` once it is whole (head and Content-Length body).
bool parse_request(const std::string& buffer, ReceivedRequest& request) {
  const std::size_t head_end = buffer.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  const std::size_t content_length = parse_request_head(buffer.substr(0, head_end), request);
  if (buffer.size() < head_end + 4 + content_length) return false;
  request.body = buffer.substr(head_end + 4, content_length);
  return true;
}

}  // namespace

void TlsReceiver::serve(int fd) {
  SSL* ssl = SSL_new(context_);
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) != 1) {
    ERR_clear_error();
    SSL_free(ssl);
    {
      std::lock_guard lock(mutex_);
      ++failed_handshakes_;
    }
    changed_.notify_all();
    return;
  }
  std::string buffer;
  ReceivedRequest request;
  bool whole = false;
  while (!(whole = parse_request(buffer, request)) && read_more(ssl, buffer)) {
  }
  if (whole) {
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    changed_.notify_all();
    const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    SSL_write(ssl, answer.data(), static_cast<int>(answer.size()));
    SSL_shutdown(ssl);
  }
  ERR_clear_error();
  SSL_free(ssl);
}

}  // namespace runhooks::test
