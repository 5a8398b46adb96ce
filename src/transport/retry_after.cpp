#include "transport/retry_after.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace runhooks::detail {

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now) {
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    if (value.size() > 9) return std::chrono::hours(24 * 365);
    return std::chrono::seconds(std::strtoll(std::string(value).c_str(), nullptr, 10));
  }
  const time_t at = curl_getdate(std::string(value).c_str(), nullptr);
  if (at < 0) return std::nullopt;
  const auto delay = std::chrono::seconds(at) - now.time_since_epoch();
  return std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(delay));
}

}  // namespace runhooks::detail
