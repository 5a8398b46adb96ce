// The `url` rule: libcurl's URL API parses, runhooks adds the limits.

#include <runhooks/validation.hpp>

#include "core/utf8.hpp"

#include <curl/curl.h>

#include <memory>
#include <string>

namespace runhooks {

namespace {

struct CurlUrlDeleter {
  void operator()(CURLU* handle) const { curl_url_cleanup(handle); }
};
struct CurlStringDeleter {
  void operator()(char* text) const { curl_free(text); }
};
using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

Error url_error(std::string message) { return Error::invalid("url", std::move(message)); }

// Whitespace and control characters are refused before parsing: libcurl would
// refuse most, but a clear message beats "malformed input".
bool has_space_or_control(std::string_view url) {
  for (char byte : url) {
    const auto c = static_cast<unsigned char>(byte);
    if (c <= 0x20 || c == 0x7F) return true;
  }
  return false;
}

CurlString get_part(CURLU* handle, CURLUPart part) {
  char* text = nullptr;
  if (curl_url_get(handle, part, &text, 0) != CURLUE_OK) return nullptr;
  return CurlString(text);
}

}  // namespace

Result<void> validate_url(std::string_view url) {
  if (url.empty()) return url_error("url must not be empty");
  // The limit is in characters, as the wire format counts them.
  const auto characters = detail::count_utf8_characters(url);
  if (!characters) return url_error("url must be valid UTF-8");
  if (*characters > kMaxUrlLength) {
    return url_error("url must be at most " + std::to_string(kMaxUrlLength) + " characters");
  }
  if (has_space_or_control(url)) {
    return url_error("url must not contain whitespace or control characters");
  }
  CurlUrl handle(curl_url());
  if (!handle) return Error{ErrorCode::internal, "url", "out of memory parsing url"};
  const std::string text(url);
  // No CURLU_DEFAULT_SCHEME / CURLU_GUESS_SCHEME: a URL without a scheme is
  // not absolute and is refused.
  const CURLUcode parsed =
      curl_url_set(handle.get(), CURLUPART_URL, text.c_str(), CURLU_NON_SUPPORT_SCHEME);
  if (parsed != CURLUE_OK) {
    return url_error(std::string("url is not a valid absolute URL (") +
                     curl_url_strerror(parsed) + ")");
  }
  const CurlString scheme = get_part(handle.get(), CURLUPART_SCHEME);
  const std::string_view scheme_text = scheme ? scheme.get() : "";
  if (scheme_text != "http" && scheme_text != "https") {
    return url_error("url scheme must be http or https");
  }
  // libcurl forgives "https:/host" and "https:///host"; the wire format
  // wants a plain absolute URL: scheme "://" authority.
  const std::string_view after_scheme = url.substr(scheme_text.size());
  if (after_scheme.substr(0, 3) != "://" || after_scheme.substr(3, 1) == "/") {
    return url_error("url must have the form " + std::string(scheme_text) + "://host/path");
  }
  const CurlString host = get_part(handle.get(), CURLUPART_HOST);
  if (!host || host.get()[0] == '\0') return url_error("url must have a host");
  return {};
}

}  // namespace runhooks
