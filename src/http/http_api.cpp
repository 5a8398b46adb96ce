// HttpApi: routing, authentication and scope, then the registry.

#include <runhooks/api_keys.hpp>
#include <runhooks/http_api.hpp>
#include <runhooks/validation.hpp>
#include <runhooks/webhook_json.hpp>

#include "http/envelope.hpp"
#include "http/query.hpp"

#include <cctype>
#include <exception>

namespace runhooks {

namespace {

using detail::error_response;
using detail::failed_response;
using detail::ok_response;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view bearer_token(std::string_view authorization) {
  if (authorization.size() < 7 || !equals_ignoring_case(authorization.substr(0, 7), "bearer ")) return {};
  authorization.remove_prefix(7);
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  while (!authorization.empty() && authorization.back() == ' ') authorization.remove_suffix(1);
  return authorization;
}

bool is_json(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  std::string_view media = content_type.substr(0, semicolon);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return equals_ignoring_case(media, "application/json");
}

ApiResponse method_not_allowed(const char* allow) {
  ApiResponse response = failed_response(405, "Method not allowed");
  response.headers.emplace_back("Allow", allow);
  return response;
}

// A path split at '/': "/webhooks/ID/secret" -> {"webhooks", "ID", "secret"}.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    if (path.front() == '/') { path.remove_prefix(1); continue; }
    const auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  return parts;
}

}  // namespace

class HttpApi::Impl {
 public:
  Impl(std::shared_ptr<Storage> storage, HttpApiOptions options)
      : options_(std::move(options)), registry_(storage, options_.registry), keys_(storage) {}

  ApiResponse handle(const ApiRequest& request) {
    // A NUL would cut the path or a parameter short wherever it meets C
    // strings (the store's, a log's): refused, not interpreted.
    if (!detail::well_formed_path(request.path)) return failed_response(400, "Invalid request path");
    if (!detail::well_formed_query(request.query)) return failed_response(400, "Invalid query string");
    const auto parts = segments(request.path);
    if (parts.size() == 1 && parts[0] == "openapi.json") {
      if (request.method != "GET") return method_not_allowed("GET");
      ApiResponse response;
      response.body = openapi_document();
      return response;
    }
    if (parts.empty() || parts[0] != "webhooks" || parts.size() > 4) return failed_response(404, "Not found");

    auto key = keys_.authenticate(bearer_token(request.authorization));
    if (!key) return error_response(key.error(), false);
    if (request.body.size() > options_.max_body_bytes) {
      return failed_response(413, "Request body too large (limit " +
                                      std::to_string(options_.max_body_bytes) + " bytes)");
    }
    if (parts.size() == 1) return collection(request, *key);

    // Any string may arrive as an id: a non-UUID is 400, never 500.
    auto hook_id = canonical_hook_id(parts[1]);
    if (!hook_id) return failed_response(400, "Invalid hookId: " + hook_id.error().message);
    if (parts.size() == 2) return one_hook(request, *key, *hook_id);
    if (parts.size() == 3 && parts[2] == "secret") {
      if (request.method != "GET") return method_not_allowed("GET");
      // The secret signs deliveries: whoever holds it can forge one to the
      // receiver, which is more than reading. A read-write key only.
      auto hook = writable_hook(*key, *hook_id);
      if (!hook) return error_response(hook.error(), false);
      return ok_response(200, detail::json_object_with("secret", hook->secret));
    }
    if (parts.size() == 4 && parts[2] == "secret" && parts[3] == "rotate") {
      if (request.method != "POST") return method_not_allowed("POST");
      auto hook = writable_hook(*key, *hook_id);
      if (!hook) return error_response(hook.error(), false);
      auto rotated = registry_.rotate_secret(*hook_id);
      if (!rotated) return error_response(rotated.error(), false);
      return ok_response(200, detail::json_object_with("secret", rotated->secret));
    }
    return failed_response(404, "Not found");
  }

 private:
  // GET/POST /webhooks?projectId=P
  ApiResponse collection(const ApiRequest& request, const ApiKey& key) {
    const bool is_get = request.method == "GET";
    if (!is_get && request.method != "POST") return method_not_allowed("GET, POST");
    const auto project = detail::query_parameter(request.query, "projectId");
    if (!project || project->empty()) return failed_response(400, "projectId is required");
    if (auto valid = validate_project_id(*project); !valid) return error_response(valid.error(), false);
    if (!in_scope(key, *project)) return failed_response(404, "Not found");
    if (is_get) {
      auto hooks = registry_.list(*project);
      if (!hooks) return error_response(hooks.error(), false);
      return ok_response(200, to_json(*hooks));
    }
    if (key.read_only) return read_only_refused();
    if (!is_json(request.content_type)) return failed_response(400, "Content-Type must be application/json");
    auto parsed = parse_create_request(request.body);
    if (!parsed) return error_response(parsed.error(), true);
    auto created = registry_.create(*project, *parsed);
    if (!created) return error_response(created.error(), created.error().code == ErrorCode::invalid_argument);
    return ok_response(201, to_json(*created));
  }

  // GET/PUT/DELETE /webhooks/{hookId}
  ApiResponse one_hook(const ApiRequest& request, const ApiKey& key, const std::string& hook_id) {
    if (request.method == "GET") {
      auto hook = visible_hook(key, hook_id);
      if (!hook) return error_response(hook.error(), false);
      return ok_response(200, to_json(*hook));
    }
    if (request.method == "PUT") {
      auto hook = writable_hook(key, hook_id);
      if (!hook) return error_response(hook.error(), false);
      if (!is_json(request.content_type)) return failed_response(400, "Content-Type must be application/json");
      auto patch = parse_update_request(request.body);
      if (!patch) return error_response(patch.error(), true);
      auto updated = registry_.update(hook_id, *patch);
      if (!updated) return error_response(updated.error(), updated.error().code == ErrorCode::invalid_argument);
      return ok_response(200, to_json(*updated));
    }
    if (request.method == "DELETE") {
      auto hook = writable_hook(key, hook_id);
      if (!hook) return error_response(hook.error(), false);
      auto removed = registry_.remove(hook_id);
      if (!removed) return error_response(removed.error(), false);
      return ok_response(200, to_json(*removed));
    }
    return method_not_allowed("GET, PUT, DELETE");
  }

  // The hook if the key may see it; a hook of another project is "not found".
  Result<Webhook> visible_hook(const ApiKey& key, const std::string& hook_id) {
    auto hook = registry_.get(hook_id);
    if (!hook) return hook;
    if (!in_scope(key, hook->project_id)) return Error::not_found();
    return hook;
  }

  // The same, and the key may write: scope first, so a read-only key learns
  // nothing of hooks outside its scope either.
  Result<Webhook> writable_hook(const ApiKey& key, const std::string& hook_id) {
    auto hook = visible_hook(key, hook_id);
    if (!hook) return hook;
    if (key.read_only) return Error{ErrorCode::permission_denied, {}, "Forbidden: this API key is read-only"};
    return hook;
  }

  static ApiResponse read_only_refused() {
    return failed_response(403, "Forbidden: this API key is read-only");
  }

  HttpApiOptions options_;
  WebhookRegistry registry_;
  ApiKeys keys_;
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
