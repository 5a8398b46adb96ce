// HttpApi: the path read, the key checked, then the route group (src/http/
// *_routes.cpp) that answers.

#include <runhooks/http_api.hpp>

#include "http/api_context.hpp"
#include "http/console_routes.hpp"
#include "http/envelope.hpp"
#include "http/query.hpp"

#include <cctype>
#include <exception>

namespace runhooks {

namespace {

using detail::ApiContext;
using detail::error_response;
using detail::failed_response;

std::string_view bearer_token(std::string_view authorization) {
  if (authorization.size() < 7) return {};
  for (std::size_t i = 0; i < 6; ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != "bearer"[i]) return {};
  }
  if (authorization[6] != ' ') return {};
  authorization.remove_prefix(7);
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  while (!authorization.empty() && authorization.back() == ' ') authorization.remove_suffix(1);
  return authorization;
}

// A path split at '/': "/webhooks/ID/secret" -> {"webhooks", "ID", "secret"};
// the hosted service's base path, /v1, names the same routes.
detail::PathSegments segments(std::string_view path) {
  detail::PathSegments parts;
  while (!path.empty()) {
    if (path.front() == '/') { path.remove_prefix(1); continue; }
    const auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  if (!parts.empty() && parts.front() == "v1") parts.erase(parts.begin());
  return parts;
}

bool needs_key(std::string_view first) {
  return first == "webhooks" || first == "deliveries" || first == "me" || first == "projects" ||
         first == "metrics";
}

}  // namespace

class HttpApi::Impl {
 public:
  Impl(std::shared_ptr<Storage> storage, HttpApiOptions options) : context_(std::move(storage), std::move(options)) {}

  ApiResponse handle(const ApiRequest& request) {
    // A NUL would cut the path or a parameter short wherever it meets C
    // strings (the store's, a log's): refused, not interpreted.
    if (!detail::well_formed_path(request.path)) return failed_response(400, "Invalid request path");
    if (!detail::well_formed_query(request.query)) return failed_response(400, "Invalid query string");
    const auto parts = segments(request.path);
    if (context_.options.operations_only && !(parts.size() == 1 && (parts[0] == "metrics" || parts[0] == "healthz"))) {
      return failed_response(404, "Not found");
    }
    if (parts.size() == 1 && parts[0] == "openapi.json") {
      if (request.method != "GET") return detail::method_not_allowed("GET");
      ApiResponse response;
      response.body = openapi_document();
      return response;
    }
    if (parts.size() == 1 && parts[0] == "healthz") return detail::health_route(context_, request);
    // The web console's static files: no key (they hold no data; docs/console.md).
    if (!parts.empty() && parts[0] == "console" && context_.options.serve_console) {
      return detail::console_route(request, parts);
    }
    if (parts.empty() || !needs_key(parts[0])) return failed_response(404, "Not found");

    auto key = context_.keys.authenticate(bearer_token(request.authorization));
    if (!key) {
      ApiResponse refused = error_response(key.error(), false);
      if (refused.status == 401) refused.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"runhooks\"");
      return refused;
    }
    if (request.body.size() > context_.options.max_body_bytes) {
      return failed_response(413, "Request body too large (limit " +
                                      std::to_string(context_.options.max_body_bytes) + " bytes)");
    }
    if (parts[0] == "webhooks") return detail::hook_routes(context_, request, *key, parts);
    if (parts[0] == "deliveries") return detail::delivery_routes(context_, request, *key, parts);
    if (parts[0] == "metrics") {
      if (parts.size() != 1) return failed_response(404, "Not found");
      return detail::metrics_route(context_, request, *key);
    }
    return detail::account_routes(context_, request, *key, parts);
  }

 private:
  ApiContext context_;
};

HttpApi::HttpApi(std::shared_ptr<Storage> storage, HttpApiOptions options)
    : impl_(std::make_unique<Impl>(std::move(storage), std::move(options))) {}

HttpApi::~HttpApi() = default;

ApiResponse HttpApi::handle(const ApiRequest& request) const {
  try {
    return impl_->handle(request);
  } catch (const std::exception&) {
    return failed_response(500, "Internal error");  // e.g. out of memory: never an exception to the server
  } catch (...) {
    return failed_response(500, "Internal error");
  }
}

}  // namespace runhooks
