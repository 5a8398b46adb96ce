#include "server/http_server.hpp"

#include "server/connection.hpp"
#include "server/connection_table.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fcntl.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace runhooks::cli {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// How often deadlines are checked: they are kept to within this.
constexpr auto kSweepInterval = std::chrono::milliseconds(100);
// How long stop() waits for requests in hand to be answered.
constexpr auto kStopGrace = std::chrono::seconds(5);
// Connections accepted at most per wake-up of the acceptor.
constexpr int kAcceptBatch = 64;

// A server stop() gave up waiting for: its handler threads still use it.
void* abandoned_server = nullptr;

void close_on_exec(int fd) { ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC); }

// The TLS settings of an HTTPS server, or nothing for plain HTTP. Throws
// TlsFileError naming the file that cannot be used.
std::optional<asio::ssl::context> tls_context(const ServerOptions& options) {
  if (options.tls_certificate_file.empty() && options.tls_private_key_file.empty()) return std::nullopt;
  if (options.tls_certificate_file.empty() || options.tls_private_key_file.empty()) {
    throw TlsFileError("HTTPS needs both a certificate (--tls-cert) and its private key (--tls-key)");
  }
  std::optional<asio::ssl::context> tls(std::in_place, asio::ssl::context::tls_server);
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                   asio::ssl::context::single_dh_use);
  error_code error;
  tls->use_certificate_chain_file(options.tls_certificate_file, error);
  if (error) {
    throw TlsFileError("--tls-cert: cannot use '" + options.tls_certificate_file + "' (" + error.message() +
                             "): it needs PEM certificates, the server's first");
  }
  tls->use_private_key_file(options.tls_private_key_file, asio::ssl::context::pem, error);
  if (error) {
    throw TlsFileError("--tls-key: cannot use '" + options.tls_private_key_file + "' (" + error.message() +
                             "): it needs the certificate's private key, unencrypted PEM");
  }
  if (::SSL_CTX_check_private_key(tls->native_handle()) != 1) {
    throw TlsFileError("--tls-key: '" + options.tls_private_key_file + "' is not the key of the certificate in '" +
                             options.tls_certificate_file + "'");
  }
  return tls;
}

}  // namespace

void check_tls_files(const ServerOptions& options) { tls_context(options); }

struct HttpServer::Impl {
  Impl(std::shared_ptr<HttpApi> api_in, ServerOptions options_in)
      : api(std::move(api_in)),
        options(std::move(options_in)),
        tls(tls_context(options)),
        handlers(static_cast<std::size_t>(options.threads)),
        table(options.max_connections),
        context{io, *api, options, handlers, table, tls ? &*tls : nullptr},
        acceptor(io),
        sweep_timer(io),
        retry_timer(io) {}

  void listen(const std::string& host, int port) {
    error_code error;
    const auto address = asio::ip::make_address(host, error);
    if (error) throw std::runtime_error("--listen needs an IP address, not '" + host + "'");
    const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
    acceptor.open(endpoint.protocol(), error);
    if (!error) acceptor.set_option(tcp::acceptor::reuse_address(true), error);
    if (!error) acceptor.bind(endpoint, error);
    if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
    if (!error) acceptor.non_blocking(true, error);
    if (error) throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + ": " + error.message());
    close_on_exec(acceptor.native_handle());
    bound_port = acceptor.local_endpoint().port();
  }

  void accept_next() {
    acceptor.async_accept([this](const error_code& error, tcp::socket socket) {
      if (context.stopping || error == asio::error::operation_aborted) return;
      if (error) return retry_accept(error);
      try {
        serve(std::move(socket));
        accept_waiting();
      } catch (const std::exception& e) {  // out of memory: this connection is lost, not the server
        std::fprintf(stderr, "runhooks serve: %s\n", e.what());
      }
      accept_next();
    });
  }

  // The connections already waiting in the listen queue, up to a batch: one
  // accept per turn of the loop would leave a newcomer queued behind
  // everything the loop serves meanwhile.
  void accept_waiting() {
    for (int i = 0; i < kAcceptBatch; ++i) {
      error_code error;
      tcp::socket socket(io);
      acceptor.accept(socket, error);
      if (error) return;  // would block: the queue is empty (or the next async accept sees the error)
      serve(std::move(socket));
    }
  }

  void serve(tcp::socket socket) {
    close_on_exec(socket.native_handle());
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto connection = std::make_shared<Connection>(std::move(socket), context);
    if (table.admit(connection)) {
      connection->start();
    } else {
      connection->refuse_for_lack_of_room();
    }
  }

  // Out of file descriptors (or another passing failure): free one if a
  // connection can give it up, and try again shortly instead of spinning.
  void retry_accept(const error_code& error) {
    if (error == asio::error::no_descriptors || error.value() == ENFILE) table.evict_one();
    retry_timer.expires_after(std::chrono::milliseconds(20));
    retry_timer.async_wait([this](const error_code& cancelled) {
      if (!cancelled && !context.stopping) accept_next();
    });
  }

  void sweep() {
    sweep_timer.expires_after(kSweepInterval);
    sweep_timer.async_wait([this](const error_code& cancelled) {
      if (cancelled) return;
      try {
        table.close_expired(Connection::Clock::now());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "runhooks serve: %s\n", e.what());
      }
      open_connections.store(table.size());
      sweep();
    });
  }

  // The I/O thread: a handler that throws (out of memory) costs its
  // connection at most, never the server.
  void run_io() {
    for (;;) {
      try {
        io.run();
        return;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "runhooks serve: %s\n", e.what());
      }
    }
  }

  void begin_stop() {
    context.stopping = true;
    error_code ignored;
    acceptor.close(ignored);
    retry_timer.cancel();
    table.close_idle();
    open_connections.store(table.size());
    stop_begun.store(true);
  }

  std::shared_ptr<HttpApi> api;
  ServerOptions options;
  std::optional<asio::ssl::context> tls;
  asio::io_context io{1};
  asio::thread_pool handlers;
  ConnectionTable table;
  ServerContext context;
  tcp::acceptor acceptor;
  asio::steady_timer sweep_timer;
  asio::steady_timer retry_timer;
  std::thread io_thread;
  std::atomic<std::size_t> open_connections{0};  // as of the last sweep
  std::atomic<bool> stop_begun{false};
  int bound_port = 0;
  std::mutex stop_mutex;
  bool stopped = false;
};

HttpServer::HttpServer(std::shared_ptr<HttpApi> api, const std::string& host, int port, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(api), std::move(options))) {
  impl_->listen(host, port);
  impl_->accept_next();
  impl_->sweep();
  impl_->io_thread = std::thread([impl = impl_.get()] { impl->run_io(); });
}

HttpServer::~HttpServer() {
  if (impl_) stop();
}

int HttpServer::port() const { return impl_ ? impl_->bound_port : 0; }

bool HttpServer::stop() {
  if (!impl_) return false;  // left behind by an earlier stop
  std::lock_guard lock(impl_->stop_mutex);
  if (impl_->stopped) return true;
  impl_->stopped = true;
  asio::post(impl_->io, [impl = impl_.get()] { impl->begin_stop(); });
  const auto deadline = std::chrono::steady_clock::now() + kStopGrace;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (impl_->stop_begun.load() && impl_->open_connections.load() == 0) break;
  }
  impl_->io.stop();
  impl_->io_thread.join();
  impl_->table.close_all();  // the I/O thread is gone: this thread may
  impl_->handlers.stop();    // requests not yet started are dropped
  while (impl_->context.busy_handlers.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (impl_->context.busy_handlers.load() > 0) {
    // Requests still waiting on the store past the grace (each storage
    // call may wait out a lock for the busy timeout): not waited for. Their
    // threads keep the server's state, which is left to the process's exit.
    std::fprintf(stderr, "runhooks serve: %d request(s) still waiting on the store; not waiting for them\n",
                 impl_->context.busy_handlers.load());
    abandoned_server = impl_.release();  // reachable, so no leak checker counts it
    return false;
  }
  impl_->handlers.join();
  return true;
}

}  // namespace runhooks::cli
