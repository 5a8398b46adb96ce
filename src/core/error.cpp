#include <runhooks/error.hpp>

namespace runhooks {

const char* to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::unauthenticated: return "unauthenticated";
    case ErrorCode::permission_denied: return "permission_denied";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::internal: return "internal";
  }
  return "internal";
}

int http_status(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument: return 400;
    case ErrorCode::unauthenticated: return 401;
    case ErrorCode::permission_denied: return 403;
    case ErrorCode::not_found: return 404;
    case ErrorCode::conflict: return 409;
    case ErrorCode::unavailable: return 503;
    case ErrorCode::internal: return 500;
  }
  return 500;
}

std::string Error::to_string() const {
  return std::string(runhooks::to_string(code)) + ": " + message;
}

Error Error::invalid(std::string field, std::string message) {
  return Error{ErrorCode::invalid_argument, std::move(field), std::move(message)};
}

Error Error::not_found(std::string message) {
  return Error{ErrorCode::not_found, {}, std::move(message)};
}

}  // namespace runhooks
