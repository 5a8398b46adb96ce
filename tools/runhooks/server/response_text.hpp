#pragma once
// Responses as the bytes sent on the wire.

#include "server/request_head.hpp"

#include <runhooks/http_api.hpp>

#include <string>

namespace runhooks::cli {

/// Status line, headers and body of `response`; `Connection: close` when
/// `close` (the server closes after sending it).
std::string response_text(const ApiResponse& response, bool close);

/// A refusal as the API's error envelope, with `Connection: close`.
std::string response_text(const Refusal& refusal);

/// The interim answer to `Expect: 100-continue`.
inline constexpr const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace runhooks::cli
