#pragma once
// What every route of HttpApi works with: the registry, the publisher and
// the keys over one storage, the options, and the checks routes share
// (scope, read-only, bodies).

#include <runhooks/api_keys.hpp>
#include <runhooks/http_api.hpp>
#include <runhooks/publisher.hpp>
#include <runhooks/registry.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runhooks::detail {

/// A path split at '/': "/webhooks/ID/secret" -> {"webhooks", "ID", "secret"}.
using PathSegments = std::vector<std::string_view>;

struct ApiContext {
  ApiContext(std::shared_ptr<Storage> store, HttpApiOptions api_options);

  /// The hook if the key may see it; a hook of another project is "not found".
  Result<Webhook> visible_hook(const ApiKey& key, std::string_view hook_id);
  /// The same, and the key may write: scope first, so a read-only key
  /// learns nothing of hooks outside its scope either.
  Result<Webhook> writable_hook(const ApiKey& key, std::string_view hook_id);
  /// The delivery if the key may see its project.
  Result<Delivery> visible_delivery(const ApiKey& key, std::string_view delivery_id);

  std::shared_ptr<Storage> storage;
  HttpApiOptions options;
  WebhookRegistry registry;
  Publisher publisher;
  ApiKeys keys;
  std::atomic<std::size_t> waiting_tests{0};
};

ApiResponse method_not_allowed(const char* allow);
ApiResponse read_only_refused();

/// 415 when a POST/PUT carries a body that is not `application/json` (or,
/// with `body_required`, when it is not JSON at all); nothing when it may go on.
std::optional<ApiResponse> refuse_non_json(const ApiRequest& request, bool body_required);

/// The canonical form of an id from the path, or 400 naming `field`.
Result<std::string> path_id(std::string_view text, const char* field);

// The route groups, by the path's first segment (after /v1).
ApiResponse hook_routes(ApiContext& context, const ApiRequest& request, const ApiKey& key,
                        const PathSegments& parts);
ApiResponse hook_history_routes(ApiContext& context, const ApiRequest& request, const ApiKey& key,
                                const Webhook& hook, std::string_view route);
ApiResponse delivery_routes(ApiContext& context, const ApiRequest& request, const ApiKey& key,
                            const PathSegments& parts);
ApiResponse account_routes(ApiContext& context, const ApiRequest& request, const ApiKey& key,
                           const PathSegments& parts);
ApiResponse metrics_route(ApiContext& context, const ApiRequest& request, const ApiKey& key);
ApiResponse health_route(ApiContext& context, const ApiRequest& request);

}  // namespace runhooks::detail
