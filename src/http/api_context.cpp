#include "http/api_context.hpp"

#include <runhooks/validation.hpp>

#include "http/envelope.hpp"

#include <cctype>

namespace runhooks::detail {

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool is_json(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  std::string_view media = content_type.substr(0, semicolon);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return equals_ignoring_case(media, "application/json");
}

PublisherOptions publisher_options(const HttpApiOptions& options) {
  PublisherOptions publisher;
  publisher.on_stored = options.on_stored;
  return publisher;
}

}  // namespace

ApiContext::ApiContext(std::shared_ptr<Storage> store, HttpApiOptions api_options)
    : storage(std::move(store)),
      options(std::move(api_options)),
      registry(storage, options.registry),
      publisher(storage, publisher_options(options)),
      keys(storage) {}

Result<Webhook> ApiContext::visible_hook(const ApiKey& key, std::string_view hook_id) {
  auto hook = registry.get(hook_id);
  if (!hook) return hook;
  if (!in_scope(key, hook->project_id)) return Error::not_found();
  return hook;
}

Result<Webhook> ApiContext::writable_hook(const ApiKey& key, std::string_view hook_id) {
  auto hook = visible_hook(key, hook_id);
  if (!hook) return hook;
  if (key.read_only) return Error{ErrorCode::permission_denied, {}, "Forbidden: this API key is read-only"};
  return hook;
}

Result<Delivery> ApiContext::visible_delivery(const ApiKey& key, std::string_view delivery_id) {
  auto delivery = publisher.delivery(delivery_id);
  if (!delivery) return delivery;
  if (!in_scope(key, delivery->project_id)) return Error::not_found();
  return delivery;
}

ApiResponse method_not_allowed(const char* allow) {
  ApiResponse response = failed_response(405, "Method not allowed");
  response.headers.emplace_back("Allow", allow);
  return response;
}

ApiResponse read_only_refused() { return failed_response(403, "Forbidden: this API key is read-only"); }

std::optional<ApiResponse> refuse_non_json(const ApiRequest& request, bool body_required) {
  if (is_json(request.content_type)) return std::nullopt;
  if (!body_required && request.body.empty()) return std::nullopt;
  return failed_response(415, "Content-Type must be application/json");
}

Result<std::string> path_id(std::string_view text, const char* field) {
  auto id = canonical_hook_id(text);
  if (id) return id;
  return Error::invalid(field, std::string("Invalid ") + field + ": " + field +
                                   " must be a UUID (8-4-4-4-12 hexadecimal digits)");
}

}  // namespace runhooks::detail
