#include "http/console_routes.hpp"

#include "http/api_context.hpp"
#include "http/console_assets.hpp"
#include "http/envelope.hpp"

#include <cstddef>

namespace runhooks::detail {

namespace {

// No inline script or style, nothing from elsewhere, never in a frame: the
// console's only inputs are its own files and the API on the same origin.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

void add_security_headers(ApiResponse& response) {
  response.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
}

const ConsoleAsset* find_asset(std::string_view name) {
  const ConsoleAsset* assets = console_assets();
  for (std::size_t i = 0; i < console_asset_count(); ++i) {
    if (assets[i].name == name) return &assets[i];
  }
  return nullptr;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// RFC 9110 §13.1.2: a comma-separated list of entity tags, or "*"; weak
// comparison (a W/ prefix is ignored).
bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    const auto comma = if_none_match.find(',');
    std::string_view candidate = trimmed(if_none_match.substr(0, comma));
    if_none_match = comma == std::string_view::npos ? std::string_view() : if_none_match.substr(comma + 1);
    if (candidate == "*") return true;
    if (candidate.substr(0, 2) == "W/") candidate.remove_prefix(2);
    if (candidate == etag) return true;
  }
  return false;
}

// The answer to a request under console/, before the security headers.
ApiResponse console_answer(const ApiRequest& request, const std::vector<std::string_view>& parts) {
  if (parts.size() > 2) return failed_response(404, "Not found");
  if (request.method != "GET") return method_not_allowed("GET");
  if (parts.size() == 1 && (request.path.empty() || request.path.back() != '/')) {
    // Relative, so /admin/webhooks/console goes to /admin/webhooks/console/.
    ApiResponse moved;
    moved.status = 308;
    moved.content_type = "text/plain; charset=utf-8";
    moved.headers.emplace_back("Location", "console/");
    moved.body = "See console/\n";
    return moved;
  }
  const ConsoleAsset* asset = find_asset(parts.size() == 1 ? std::string_view("index.html") : parts[1]);
  if (asset == nullptr) return failed_response(404, "Not found");

  ApiResponse response;
  response.content_type = std::string(asset->content_type);
  // Revalidated on every load (the names carry no version): a 304 costs a
  // round trip and no bytes, and a new build is never shown half-cached.
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("ETag", std::string(asset->etag));
  if (!request.if_none_match.empty() && etag_matches(request.if_none_match, asset->etag)) {
    response.status = 304;
    return response;
  }
  response.body = std::string(asset->body);
  return response;
}

}  // namespace

ApiResponse console_route(const ApiRequest& request, const std::vector<std::string_view>& parts) {
  // Every answer under console/, refusals too, carries the same headers: a
  // 404 page is as much the console's origin as its index.
  ApiResponse response = console_answer(request, parts);
  add_security_headers(response);
  return response;
}

}  // namespace runhooks::detail
