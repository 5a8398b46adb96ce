// /webhooks: the seed's five routes, the secret, and the way to a hook's
// delivery history.

#include <runhooks/validation.hpp>
#include <runhooks/webhook_json.hpp>

#include "core/json_writer.hpp"
#include "http/api_context.hpp"
#include "http/envelope.hpp"
#include "http/query.hpp"

namespace runhooks::detail {

namespace {

// {"deliveryId","status","at"} of the hook's latest delivery, or null: what
// a console shows beside each hook without a call per hook.
Result<std::string> last_delivery_json(ApiContext& context, const Webhook& hook) {
  DeliveryFilter filter;
  filter.hook_id = hook.hook_id;
  filter.limit = 1;
  auto latest = context.publisher.deliveries(filter);
  if (!latest) return std::move(latest).error();
  if (latest->empty()) return std::string("null");
  const Delivery& delivery = latest->front();
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("deliveryId"); write_string(w, delivery.delivery_id);
  w.Key("status"); w.String(to_string(delivery.status));
  w.Key("at"); write_string(w, format_iso8601(delivery.completed_at.value_or(delivery.created_at)));
  w.EndObject();
  return json_text(buffer);
}

// The project's hooks, each with its lastDelivery member.
Result<std::string> hook_list_json(ApiContext& context, const std::vector<Webhook>& hooks) {
  std::string json = "[";
  for (const Webhook& hook : hooks) {
    auto last = last_delivery_json(context, hook);
    if (!last) return last;
    std::string object = to_json(hook);
    object.pop_back();  // the closing brace: one more member goes in
    if (json.size() > 1) json += ',';
    json.append(object).append(",\"lastDelivery\":").append(*last).append("}");
  }
  return json + "]";
}

// GET/POST /webhooks?projectId=P
ApiResponse collection(ApiContext& context, const ApiRequest& request, const ApiKey& key) {
  const bool is_get = request.method == "GET";
  if (!is_get && request.method != "POST") return method_not_allowed("GET, POST");
  const auto project = query_parameter(request.query, "projectId");
  if (!project || project->empty()) return failed_response(400, "projectId is required");
  if (auto valid = validate_project_id(*project); !valid) return error_response(valid.error(), false);
  if (!in_scope(key, *project)) return failed_response(404, "Not found");
  if (is_get) {
    auto hooks = context.registry.list(*project);
    if (!hooks) return error_response(hooks.error(), false);
    auto json = hook_list_json(context, *hooks);
    if (!json) return error_response(json.error(), false);
    return ok_response(200, *json);
  }
  if (key.read_only) return read_only_refused();
  if (auto refused = refuse_non_json(request, true)) return *refused;
  auto parsed = parse_create_request(request.body);
  if (!parsed) return error_response(parsed.error(), true);
  auto created = context.registry.create(*project, *parsed);
  if (!created) return error_response(created.error(), created.error().code == ErrorCode::invalid_argument);
  return ok_response(201, to_json(*created));
}

// GET/PUT/DELETE /webhooks/{hookId}
ApiResponse one_hook(ApiContext& context, const ApiRequest& request, const ApiKey& key, const std::string& hook_id) {
  if (request.method == "GET") {
    auto hook = context.visible_hook(key, hook_id);
    if (!hook) return error_response(hook.error(), false);
    return ok_response(200, to_json(*hook));
  }
  if (request.method == "PUT") {
    auto hook = context.writable_hook(key, hook_id);
    if (!hook) return error_response(hook.error(), false);
    if (auto refused = refuse_non_json(request, true)) return *refused;
    auto patch = parse_update_request(request.body);
    if (!patch) return error_response(patch.error(), true);
    auto updated = context.registry.update(hook_id, *patch);
    if (!updated) return error_response(updated.error(), updated.error().code == ErrorCode::invalid_argument);
    return ok_response(200, to_json(*updated));
  }
  if (request.method == "DELETE") {
    auto hook = context.writable_hook(key, hook_id);
    if (!hook) return error_response(hook.error(), false);
    auto removed = context.registry.remove(hook_id);
    if (!removed) return error_response(removed.error(), false);
    return ok_response(200, to_json(*removed));
  }
  return method_not_allowed("GET, PUT, DELETE");
}

// GET /webhooks/{hookId}/secret and POST .../secret/rotate. The secret signs
// deliveries: whoever holds it can forge one to the receiver, which is more
// than reading. A read-write key only.
ApiResponse secret(ApiContext& context, const ApiRequest& request, const ApiKey& key, const std::string& hook_id,
                   bool rotate) {
  if (request.method != (rotate ? "POST" : "GET")) return method_not_allowed(rotate ? "POST" : "GET");
  auto hook = context.writable_hook(key, hook_id);
  if (!hook) return error_response(hook.error(), false);
  if (!rotate) return ok_response(200, json_object_with("secret", hook->secret));
  auto rotated = context.registry.rotate_secret(hook_id);
  if (!rotated) return error_response(rotated.error(), false);
  return ok_response(200, json_object_with("secret", rotated->secret));
}

}  // namespace

ApiResponse hook_routes(ApiContext& context, const ApiRequest& request, const ApiKey& key,
                        const PathSegments& parts) {
  if (parts.size() == 1) return collection(context, request, key);
  if (parts.size() > 4) return failed_response(404, "Not found");
  // Any string may arrive as an id: a non-UUID is 400, never 500.
  auto hook_id = path_id(parts[1], "hookId");
  if (!hook_id) return failed_response(400, hook_id.error().message);
  if (parts.size() == 2) return one_hook(context, request, key, *hook_id);
  if (parts.size() == 3 && parts[2] == "secret") return secret(context, request, key, *hook_id, false);
  if (parts.size() == 4 && parts[2] == "secret" && parts[3] == "rotate") {
    return secret(context, request, key, *hook_id, true);
  }
  if (parts.size() == 3 && (parts[2] == "deliveries" || parts[2] == "test" || parts[2] == "recover")) {
    auto hook = context.visible_hook(key, *hook_id);
    if (!hook) return error_response(hook.error(), false);
    return hook_history_routes(context, request, key, *hook, parts[2]);
  }
  return failed_response(404, "Not found");
}

}  // namespace runhooks::detail
