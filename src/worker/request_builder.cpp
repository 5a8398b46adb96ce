#include "worker/request_builder.hpp"

#include <runhooks/signing.hpp>

namespace runhooks::detail {

std::string webhook_id(const Delivery& delivery) { return "msg_" + delivery.delivery_id; }

Result<HttpRequest> build_request(const EndpointSnapshot& endpoint, const Delivery& delivery, std::string payload,
                                  Timestamp now) {
  HttpRequest request;
  request.url = endpoint.url;
  request.body = std::move(payload);
  const std::string id = webhook_id(delivery);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  auto signature = signature_header(endpoint.secrets, id, seconds, request.body);
  if (!signature) return std::move(signature).error();

  auto& h = request.headers;
  h.reserve(5 + endpoint.headers.size());
  h.emplace_back("Content-Type", "application/json");
  h.emplace_back("x-timestamp", std::to_string(now.time_since_epoch().count()));
  h.emplace_back("webhook-id", id);
  h.emplace_back("webhook-timestamp", std::to_string(seconds));
  h.emplace_back("webhook-signature", std::move(*signature));
  // Validated when stored: no reserved names among them.
  h.insert(h.end(), endpoint.headers.begin(), endpoint.headers.end());
  return request;
}

}  // namespace runhooks::detail
