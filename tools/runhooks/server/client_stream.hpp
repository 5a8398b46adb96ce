#pragma once
// The bytes of one client connection: a TCP socket, or TLS over it when
// `runhooks serve` was given a certificate. Connection reads and writes
// through this alike; only the handshake and a refusal differ.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <optional>
#include <string_view>
#include <utility>

namespace runhooks::cli {

class ClientStream {
 public:
  using Socket = boost::asio::ip::tcp::socket;

  /// HTTPS with `tls` (the handshake comes first: async_handshake), else
  /// plain HTTP.
  ClientStream(Socket socket, boost::asio::ssl::context* tls) {
    if (tls) {
      tls_.emplace(std::move(socket), *tls);
    } else {
      plain_.emplace(std::move(socket));
    }
  }

  bool encrypted() const { return tls_.has_value(); }

  /// The TLS handshake as the server; calls `handler(error_code)`. Plain
  /// streams must not call it.
  template <class Handler>
  void async_handshake(Handler&& handler) {
    tls_->async_handshake(boost::asio::ssl::stream_base::server, std::forward<Handler>(handler));
  }

  template <class Buffers, class Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) return tls_->async_read_some(buffers, std::forward<Handler>(handler));
    plain_->async_read_some(buffers, std::forward<Handler>(handler));
  }

  /// Writes all of `buffers`, then calls `handler(error_code, bytes)`.
  template <class Buffers, class Handler>
  void async_write(const Buffers& buffers, Handler&& handler) {
    if (tls_) return boost::asio::async_write(*tls_, buffers, std::forward<Handler>(handler));
    boost::asio::async_write(*plain_, buffers, std::forward<Handler>(handler));
  }

  /// Writes what fits now without waiting, in the clear. Only a plain stream
  /// can answer this way before any request (a TLS client expects a
  /// handshake): on TLS it writes nothing.
  void write_now_if_plain(std::string_view text) {
    if (!plain_) return;
    boost::system::error_code ignored;
    plain_->non_blocking(true, ignored);
    plain_->write_some(boost::asio::buffer(text.data(), text.size()), ignored);
  }

  /// Ends sending (TCP FIN; no TLS close_notify, which HTTP/1.1 answers
  /// with a length do not need) while reading goes on.
  void shutdown_send() {
    boost::system::error_code ignored;
    socket().shutdown(Socket::shutdown_send, ignored);
  }

  /// Closes the socket; pending operations end with operation_aborted.
  void close() {
    boost::system::error_code ignored;
    socket().close(ignored);
  }

 private:
  Socket& socket() { return tls_ ? tls_->next_layer() : *plain_; }

  std::optional<Socket> plain_;
  std::optional<boost::asio::ssl::stream<Socket>> tls_;
};

}  // namespace runhooks::cli
