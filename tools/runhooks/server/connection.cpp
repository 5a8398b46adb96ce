#include "server/connection.hpp"

#include "server/connection_table.hpp"
#include "server/response_text.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <string_view>
#include <limits>

namespace runhooks::cli {

namespace http = boost::beast::http;
using boost::system::error_code;

namespace {

// Bytes asked of the socket per read; with the header limit, the most a
// connection buffers.
constexpr std::size_t kReadChunk = 16 * 1024;
// After an answer that closes the connection, what the client still sends is
// read and dropped for this long, so that closing does not reset the
// connection before the client has read the answer.
constexpr auto kLinger = std::chrono::seconds(1);

}  // namespace

Connection::Connection(boost::asio::ip::tcp::socket socket, ServerContext& server)
    : stream_(std::move(socket), server.tls),
      server_(server), buffer_(server.options.max_header_bytes + kReadChunk) {}

void Connection::start() {
  request_start_ = Clock::now();
  new_parser();
  const auto& options = server_.options;
  deadline_ = request_start_ + std::min(options.idle_timeout, options.header_timeout);
  if (stream_.encrypted()) return handshake();
  read_more();
}

// The TLS handshake counts toward the first request's head: it must end
// within the same deadline, and a connection in it may be pushed out.
void Connection::handshake() {
  stream_.async_handshake([self = shared_from_this()](const error_code& error) {
    if (self->state_ == State::closed) return;
    if (error) return self->close();  // not TLS, or a certificate the client refused
    self->read_more();
  });
}

bool Connection::evictable() const {
  return state_ != State::handling && state_ != State::writing && state_ != State::closed;
}

void Connection::close() {
  if (state_ == State::closed) return;
  const auto keep = shared_from_this();  // the table may hold the last reference
  state_ = State::closed;
  deadline_ = Clock::time_point::max();
  stream_.close();
  server_.table.remove(*this);
}

void Connection::close_if_idle() {
  if (state_ == State::waiting || state_ == State::reading || state_ == State::lingering) close();
}

void Connection::refuse_for_lack_of_room() {
  // Best effort: a fresh socket has room. A TLS client is closed unanswered.
  stream_.write_now_if_plain(response_text(Refusal{503, "Server busy: every connection is in use"}));
  state_ = State::closed;
  stream_.close();
}

void Connection::new_parser() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes));
  // The body's size is judged once the head is read (on_head), so that a
  // body announced over the cap is answered, not refused as malformed.
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  head_.reset();
  head_bytes_ = 0;
  head_lines_ = 0;
}

void Connection::read_more() {
  if (buffer_.size() >= buffer_.max_size()) return refuse(refusal_for(http::error::header_limit, server_.options));
  const auto space = buffer_.prepare(std::min(kReadChunk, buffer_.max_size() - buffer_.size()));
  stream_.async_read_some(space, [self = shared_from_this()](const error_code& error, std::size_t bytes) {
    self->on_read(error, bytes);
  });
}

void Connection::on_read(const error_code& error, std::size_t bytes) {
  if (state_ == State::closed) return;
  if (error) return close();  // the peer went, or close() cancelled the read
  buffer_.commit(bytes);
  if (state_ == State::lingering) return drain();
  if (state_ == State::waiting) {
    state_ = State::reading;
    if (requests_ > 0) {  // a kept-alive connection's next request starts with its first byte
      request_start_ = Clock::now();
      server_.table.touch(*this);
    }
  }
  set_reading_deadline();
  parse();
}

void Connection::set_reading_deadline() {
  const auto& options = server_.options;
  auto deadline = std::min(Clock::now() + options.idle_timeout, request_start_ + options.request_timeout);
  if (!parser_->is_header_done()) deadline = std::min(deadline, request_start_ + options.header_timeout);
  deadline_ = deadline;
}

// Whether the buffer, which starts with a request line, shows it to be over
// the limit: no line end in its first limit + 2 bytes (CR LF included).
bool Connection::request_line_too_long() const {
  const std::string_view buffered(static_cast<const char*>(buffer_.data().data()), buffer_.size());
  const auto first = buffered.substr(0, server_.options.max_request_line_bytes + 2);
  return first.size() == server_.options.max_request_line_bytes + 2 && first.find('\n') == std::string_view::npos;
}

// Lines among the first `bytes` of the buffer (the request line, fields and
// the empty line that ends the head count one each).
std::size_t Connection::count_lines(std::size_t bytes) const {
  const auto* data = static_cast<const char*>(buffer_.data().data());
  return static_cast<std::size_t>(std::count(data, data + bytes, '\n'));
}

// Whether the head still to be parsed folds a line onto the next: a line
// that starts with a space or a tab (the first one may continue a line the
// parser took already).
bool Connection::folded_line_ahead() const {
  const std::string_view buffered(static_cast<const char*>(buffer_.data().data()), buffer_.size());
  const auto end_of_head = buffered.find("\r\n\r\n");
  const auto head = buffered.substr(0, end_of_head);
  if (head_bytes_ > 0 && !head.empty() && (head.front() == ' ' || head.front() == '\t')) return true;
  return head.find("\n ") != std::string_view::npos || head.find("\n\t") != std::string_view::npos;
}

// Empty lines before a request line are skipped (RFC 9112 §2.2).
void Connection::skip_empty_lines() {
  while (buffer_.size() > 0) {
    const char first = *static_cast<const char*>(buffer_.data().data());
    if (first != '\r' && first != '\n') return;
    buffer_.consume(1);
  }
}

void Connection::parse() {
  for (;;) {
    const bool had_head = parser_->is_header_done();
    if (!had_head && head_bytes_ == 0) {
      skip_empty_lines();
      if (request_line_too_long()) return refuse(cli::request_line_too_long(server_.options));
    }
    if (!had_head && folded_line_ahead()) return refuse(folded_header());
    error_code error;
    const std::size_t used = parser_->put(buffer_.data(), error);
    if (!had_head) head_lines_ += count_lines(used);
    buffer_.consume(used);
    if (error == http::error::need_more) error = {};
    if (error) return refuse(refusal_for(error, server_.options));
    if (!had_head) {
      // Beast takes the head a line at a time, and its own limit applies to
      // each call's bytes: the limits on the whole head are kept here.
      head_bytes_ += used;
      const bool head_done = parser_->is_header_done();
      if (head_bytes_ > server_.options.max_header_bytes || head_lines_ > server_.options.max_header_fields + 2 ||
          (!head_done && head_bytes_ + buffer_.size() > server_.options.max_header_bytes)) {
        return refuse(refusal_for(http::error::header_limit, server_.options));
      }
      if (head_done && !on_head()) return;
    }
    if (parser_->get().body().size() > server_.options.max_body_bytes) return dispatch_over_cap();  // chunked
    if (parser_->is_done()) {
      ApiRequest request = std::move(head_->request);
      request.body = std::move(parser_->get().body());
      return dispatch(std::move(request), !parser_->keep_alive());
    }
    if (used == 0 || buffer_.size() == 0) break;
  }
  read_more();
}

// The head is complete: refuse it, answer a body over the cap at once, or
// go on to the body (telling a client that waits for it to send).
bool Connection::on_head() {
  auto examined = examine_head(parser_->get());
  if (auto* refusal = std::get_if<Refusal>(&examined)) {
    refuse(*refusal);
    return false;
  }
  head_ = std::move(std::get<AcceptedHead>(examined));
  const auto length = parser_->content_length();
  if (length && *length > server_.options.max_body_bytes) {
    dispatch_over_cap();
    return false;
  }
  set_reading_deadline();  // the head's deadline no longer applies
  if (head_->expects_continue && !parser_->is_done() && buffer_.size() == 0) {
    state_ = State::writing;
    deadline_ = Clock::now() + server_.options.write_timeout;
    stream_.async_write(boost::asio::buffer(kContinue, sizeof kContinue - 1),
                        [self = shared_from_this()](const error_code& error, std::size_t) {
                               if (self->state_ == State::closed) return;
                               if (error || self->server_.stopping) return self->close();
                               self->state_ = State::reading;
                               self->set_reading_deadline();
                               self->read_more();
                             });
    return false;
  }
  return true;
}

// A body over the cap is answered without reading (the rest of) it: HttpApi
// judges it by its size alone, 401 for a stranger, else 413. The connection
// then closes, as what follows on it cannot be told apart from the body.
void Connection::dispatch_over_cap() {
  ApiRequest request = head_->request;
  request.body.assign(server_.options.max_body_bytes + 1, ' ');
  dispatch(std::move(request), true);
}

void Connection::dispatch(ApiRequest request, bool close_after) {
  state_ = State::handling;
  deadline_ = Clock::time_point::max();
  ++requests_;
  close_after_send_ = close_after;
  http10_keep_alive_ = !close_after && parser_->get().version() == 10;
  boost::asio::post(server_.handlers, [self = shared_from_this(), request = std::move(request)]() {
    // Nothing may leave a handler thread: out of memory costs the
    // connection (closed when no answer comes), never the server.
    ++self->server_.busy_handlers;
    std::optional<ApiResponse> response;
    try {
      response = self->server_.api.handle(request);
    } catch (const std::exception&) {
    }
    --self->server_.busy_handlers;
    try {
      boost::asio::post(self->server_.io, [self, response = std::move(response)]() { self->answer(response); });
    } catch (...) {
    }
  });
}

void Connection::answer(const std::optional<ApiResponse>& response) {
  if (state_ == State::closed) return;
  if (!response) return close();
  const bool close_after = close_after_send_ || server_.stopping;
  const auto connection = close_after         ? ConnectionHeader::close
                          : http10_keep_alive_ ? ConnectionHeader::keep_alive
                                               : ConnectionHeader::none;
  send(response_text(*response, connection), close_after);
}

void Connection::send(std::string text, bool close_after) {
  state_ = State::writing;
  close_after_send_ = close_after;
  deadline_ = Clock::now() + server_.options.write_timeout;
  out_ = std::move(text);
  stream_.async_write(boost::asio::buffer(out_),
                      [self = shared_from_this()](const error_code& error, std::size_t) { self->on_sent(error); });
}

void Connection::on_sent(const error_code& error) {
  if (state_ == State::closed) return;
  if (error) return close();
  out_.clear();
  out_.shrink_to_fit();
  if (close_after_send_) return linger();
  next_request();
}

void Connection::next_request() {
  new_parser();
  state_ = State::waiting;
  deadline_ = Clock::now() + server_.options.idle_timeout;
  server_.table.touch(*this);
  if (buffer_.size() == 0) {
    buffer_.shrink_to_fit();
    return read_more();
  }
  state_ = State::reading;  // pipelined: the next request is already here
  request_start_ = Clock::now();
  set_reading_deadline();
  parse();
}

void Connection::refuse(const Refusal& refusal) { send(response_text(refusal), true); }

void Connection::linger() {
  state_ = State::lingering;
  deadline_ = Clock::now() + kLinger;
  stream_.shutdown_send();
  drain();
}

void Connection::drain() {
  buffer_.consume(buffer_.size());
  read_more();
}

}  // namespace runhooks::cli
