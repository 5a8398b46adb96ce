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
