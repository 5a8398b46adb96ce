#include "worker/request_builder.hpp"

#include <runhooks/history_json.hpp>
#include <runhooks/signing.hpp>
#include <runhooks/version.hpp>

#include <algorithm>
#include <cctype>

namespace runhooks::detail {

namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool sets_user_agent(const EndpointSnapshot& endpoint) {
  return std::any_of(endpoint.headers.begin(), endpoint.headers.end(),
                     [](const auto& header) { return equal_ignoring_case(header.first, "user-agent"); });
}

}  // namespace

Result<BuiltRequest> build_request(const EndpointSnapshot& endpoint, const Delivery& delivery, std::string payload,
                                   Timestamp now, std::string_view user_agent) {
  BuiltRequest built;
  HttpRequest& request = built.request;
  request.url = endpoint.url;
  request.body = std::move(payload);
  const std::string id = runhooks::webhook_id(delivery);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  auto signature = signature_header(endpoint.secrets, id, seconds, request.body);
  if (!signature) return std::move(signature).error();

  auto& h = request.headers;
  h.reserve(6 + endpoint.headers.size());
  h.emplace_back("Content-Type", "application/json");
  // Sent as a header of the request rather than left to the transport, so
  // that the record shows it; a hook's own User-Agent replaces it.
  if (!sets_user_agent(endpoint)) {
    h.emplace_back("User-Agent", user_agent.empty() ? std::string("runhooks/") + kVersion : std::string(user_agent));
  }
  h.emplace_back("x-timestamp", std::to_string(now.time_since_epoch().count()));
  h.emplace_back("webhook-id", id);
  h.emplace_back("webhook-timestamp", std::to_string(seconds));
  h.emplace_back("webhook-signature", std::move(*signature));

  RecordedRequest& recorded = built.recorded;
  recorded.url = request.url;
  recorded.headers = h;
  // Validated when stored: no reserved names among them.
  for (const auto& [name, value] : endpoint.headers) {
    h.emplace_back(name, value);
    recorded.headers.emplace_back(name, kRedacted);
  }
  return built;
}

}  // namespace runhooks::detail
