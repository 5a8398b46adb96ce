#include <runhooks/webhook.hpp>

#include <algorithm>

namespace runhooks {

bool Webhook::accepts(EventType type) const noexcept {
  return hook_events.empty() ||
         std::find(hook_events.begin(), hook_events.end(), type) != hook_events.end();
}

std::vector<std::string> Webhook::signing_secrets(Timestamp now) const {
  std::vector<std::string> secrets{secret};
  for (const RetiredSecret& retired : retired_secrets) {
    if (retired.expires_at > now) secrets.push_back(retired.secret);
  }
  return secrets;
}

}  // namespace runhooks
