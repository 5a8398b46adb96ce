#pragma once
// Responses as the bytes sent on the wire.

#include "server/request_head.hpp"

#include <runhooks/http_api.hpp>

#include <string>

namespace runhooks::cli {

/// What a response says of its connection.
enum class ConnectionHeader {
  none,        ///< HTTP/1.1 keeps it open by default
  close,       ///< the server closes it after this response
  keep_alive,  ///< an HTTP/1.0 client that asked to keep it
};

/// Status line, headers and body of `response`.
std::string response_text(const ApiResponse& response, ConnectionHeader connection);

/// A refusal as the API's error envelope, with `Connection: close`.
std::string response_text(const Refusal& refusal);

/// The interim answer to `Expect: 100-continue`.
inline constexpr const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace runhooks::cli
