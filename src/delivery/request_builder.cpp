#include "delivery/request_builder.hpp"

#include <runhooks/signing.hpp>

#include <rapidjson/document.h>

namespace runhooks::detail {

std::string webhook_id(const Delivery& delivery) { return "msg_" + delivery.delivery_id; }

Result<HttpRequest> build_request(const Webhook& hook, const std::vector<std::string>& secrets,
                                  const Delivery& delivery, std::string payload, Timestamp now) {
  HttpRequest request;
  request.url = hook.url;
  request.body = std::move(payload);
  const std::string id = webhook_id(delivery);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  auto signature = signature_header(secrets, id, seconds, request.body);
  if (!signature) return std::move(signature).error();

  auto& h = request.headers;
  h.emplace_back("Content-Type", "application/json");
  h.emplace_back("x-timestamp", std::to_string(now.time_since_epoch().count()));
  h.emplace_back("webhook-id", id);
  h.emplace_back("webhook-timestamp", std::to_string(seconds));
  h.emplace_back("webhook-signature", std::move(*signature));
  if (hook.headers) {
    // Validated when stored: a JSON object of string values, no reserved names.
    rapidjson::Document custom;
    custom.Parse(hook.headers->data(), hook.headers->size());
    if (custom.IsObject()) {
      for (const auto& m : custom.GetObject()) {
        if (!m.value.IsString()) continue;
        h.emplace_back(std::string(m.name.GetString(), m.name.GetStringLength()),
                       std::string(m.value.GetString(), m.value.GetStringLength()));
      }
    }
  }
  return request;
}

}  // namespace runhooks::detail
