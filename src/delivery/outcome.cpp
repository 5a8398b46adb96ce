#include "delivery/outcome.hpp"

#include <curl/curl.h>

#include <cstdlib>
#include <string>

namespace runhooks::detail {

Verdict judge(const HttpResult& result) {
  switch (result.error_class) {
    case AttemptErrorClass::none: return Verdict::succeeded;
    case AttemptErrorClass::blocked_by_policy: return Verdict::failed;
    case AttemptErrorClass::http_status:
      if (result.status_code == 410) return Verdict::failed_and_disable;
      if (result.status_code >= 300 && result.status_code < 400) return Verdict::failed;
      return Verdict::retry;
    default: return Verdict::retry;
  }
}

std::optional<std::chrono::milliseconds> retry_after_delay(const HttpResult& result, Timestamp now) {
  if (result.status_code != 429 && result.status_code != 503) return std::nullopt;
  const std::string& value = result.retry_after;
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string::npos) {
    if (value.size() > 9) return std::chrono::hours(24 * 365);  // absurd, clamped by the policy
    return std::chrono::seconds(std::strtoll(value.c_str(), nullptr, 10));
  }
  const time_t at = curl_getdate(value.c_str(), nullptr);
  if (at < 0) return std::nullopt;
  const auto delay = std::chrono::seconds(at) - now.time_since_epoch();
  return std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(delay));
}

}  // namespace runhooks::detail
