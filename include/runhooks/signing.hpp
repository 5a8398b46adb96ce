#pragma once
/// Standard Webhooks v1 signatures (docs/wire-format.md, Signing): what every
/// delivery carries, and how a receiver checks it.

#include <runhooks/clock.hpp>
#include <runhooks/error.hpp>
#include <runhooks/export.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace runhooks {

/// `v1,` + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body)), where
/// the key is the base64-decoded part of `secret` (`whsec_` prefix optional).
/// `invalid_argument` (field "secret") when the secret is not valid base64.
RUNHOOKS_EXPORT Result<std::string> sign_webhook(std::string_view secret, std::string_view id,
                                                 std::int64_t timestamp, std::string_view body);

/// The `webhook-signature` header value: one signature per secret, space
/// separated (several while a secret is being rotated).
RUNHOOKS_EXPORT Result<std::string> signature_header(const std::vector<std::string>& secrets,
                                                     std::string_view id, std::int64_t timestamp,
                                                     std::string_view body);

/// Checks a delivery as a receiver would: `timestamp` within `tolerance` of
/// `now`, and one of the space-separated `v1,` signatures in `signatures`
/// matching (compared in constant time). `invalid_argument` naming the
/// problem otherwise; never says which bytes matched.
RUNHOOKS_EXPORT Result<void> verify_webhook(std::string_view secret, std::string_view id,
                                            std::string_view timestamp, std::string_view body,
                                            std::string_view signatures, Timestamp now,
                                            std::chrono::seconds tolerance = std::chrono::minutes(5));

}  // namespace runhooks
