#pragma once
// What the server checks in a request head beyond Boost.Beast's parser, which
// already refuses malformed lines and fields, a Content-Length that is not a
// plain number, two different Content-Lengths and Content-Length with
// Transfer-Encoding (RFC 9112 §6.3). Pure functions: no sockets.

#include "server/server_options.hpp"

#include <runhooks/http_api.hpp>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>

#include <string>
#include <variant>

namespace runhooks::cli {

/// A request answered by the server itself, never reaching HttpApi; the
/// connection is closed after the answer.
struct Refusal {
  int status = 400;
  std::string message;
};

/// A head fit for HttpApi: the request without its body.
struct AcceptedHead {
  ApiRequest request;
  bool expects_continue = false;  ///< `Expect: 100-continue`
};

/// Refuses what could be read two ways or hides a NUL: an HTTP/1.1 request
/// without exactly one Host; a Transfer-Encoding other than `chunked`, or
/// any in an HTTP/1.0 request; a second Authorization, Content-Type or
/// Expect; a target that is not origin- or absolute-form, holds a byte
/// outside visible ASCII, or whose path decodes to a control character
/// (`%00`) or a slash (`%2F`). The path is percent-decoded; the query is
/// left as sent (HttpApi decodes it).
std::variant<AcceptedHead, Refusal> examine_head(const boost::beast::http::request_header<>& head);

/// The answer to a parse error of Beast's (`header_limit` is 431, and so on).
Refusal refusal_for(const boost::beast::error_code& error, const ServerOptions& options);

/// 414 for a request line over the limit.
Refusal request_line_too_long(const ServerOptions& options);

/// 400 for a header line folded onto the next (obs-fold, RFC 9112 §5.2):
/// Beast would join it, where another reader might not.
Refusal folded_header();

}  // namespace runhooks::cli
