#pragma once
// One client connection of `runhooks serve`: reads requests one at a time
// (pipelined ones wait in its buffer), hands each to HttpApi on a handler
// thread, writes the answer, and keeps the deadlines of ServerOptions.
// Everything but HttpApi::handle runs on the server's I/O thread.

#include "server/client_stream.hpp"
#include "server/request_head.hpp"
#include "server/server_options.hpp"

#include <runhooks/http_api.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <atomic>
#include <chrono>
#include <list>
#include <memory>
#include <optional>
#include <string>

namespace runhooks::cli {

class ConnectionTable;

/// What every connection of one server shares. Outlives its connections'
/// work on handler threads (the server joins them before it goes).
struct ServerContext {
  boost::asio::io_context& io;
  const HttpApi& api;
  const ServerOptions& options;
  boost::asio::thread_pool& handlers;
  ConnectionTable& table;
  boost::asio::ssl::context* tls = nullptr;  ///< set: connections speak HTTPS
  bool stopping = false;  ///< I/O thread only: answer what is in hand, then close
  std::atomic<int> busy_handlers{0};  ///< handler threads inside HttpApi::handle
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Clock = std::chrono::steady_clock;

  Connection(boost::asio::ip::tcp::socket socket, ServerContext& server);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Starts reading the first request (call once the table holds it).
  void start();
  /// Closes the socket and leaves the table. Idempotent.
  void close();
  /// Answers 503 without reading anything and closes: no room for it.
  void refuse_for_lack_of_room();
  /// Closes it unless a request of its is being handled or answered.
  void close_if_idle();

  /// Whether the table may push it out for a newcomer: yes unless its
  /// request is being handled or answered.
  bool evictable() const;
  /// When it is closed unless it makes progress (time_point::max(): never).
  Clock::time_point deadline() const { return deadline_; }

 private:
  enum class State { waiting, reading, handling, writing, lingering, closed };

  void handshake();
  void read_more();
  void on_read(const boost::system::error_code& error, std::size_t bytes);
  void parse();
  bool on_head();
  void dispatch(ApiRequest request, bool close_after);
  void dispatch_over_cap();
  void answer(const std::optional<ApiResponse>& response);
  void send(std::string text, bool close_after);
  void on_sent(const boost::system::error_code& error);
  void next_request();
  void refuse(const Refusal& refusal);
  void linger();
  void drain();
  bool request_line_too_long() const;
  bool folded_line_ahead() const;
  std::size_t count_lines(std::size_t bytes) const;
  void skip_empty_lines();
  void set_reading_deadline();
  void new_parser();

  ClientStream stream_;
  ServerContext& server_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::optional<AcceptedHead> head_;
  std::string out_;
  State state_ = State::waiting;
  bool close_after_send_ = false;
  std::size_t requests_ = 0;
  std::size_t head_bytes_ = 0;  // of the current request, taken by the parser
  std::size_t head_lines_ = 0;  // the same, in lines
  bool http10_keep_alive_ = false;
  Clock::time_point request_start_;
  Clock::time_point deadline_ = Clock::time_point::max();

  friend class ConnectionTable;
  std::list<std::shared_ptr<Connection>>::iterator slot_;  // the table's, while in it
  bool in_table_ = false;
};

}  // namespace runhooks::cli
