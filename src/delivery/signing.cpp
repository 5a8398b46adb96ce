// Standard Webhooks v1: HMAC-SHA256 over "id.timestamp.body", base64.

#include <runhooks/signing.hpp>

#include "core/encoding.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

namespace runhooks {

namespace {

constexpr std::string_view kSecretPrefix = "whsec_";

Result<std::string> secret_key(std::string_view secret) {
  if (secret.substr(0, kSecretPrefix.size()) == kSecretPrefix) {
    secret.remove_prefix(kSecretPrefix.size());
  }
  auto key = detail::base64_decode(secret);
  if (!key || key->empty()) {
    return Error::invalid("secret", "secret must be whsec_ followed by base64");
  }
  return std::move(*key);
}

std::string hmac_base64(const std::string& key, std::string_view id, std::string_view timestamp,
                        std::string_view body) {
  std::string message;
  message.reserve(id.size() + timestamp.size() + body.size() + 2);
  message.append(id).append(".").append(timestamp).append(".").append(body);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return detail::base64_encode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace

Result<std::string> sign_webhook(std::string_view secret, std::string_view id,
                                 std::int64_t timestamp, std::string_view body) {
  auto key = secret_key(secret);
  if (!key) return std::move(key).error();
  return "v1," + hmac_base64(*key, id, std::to_string(timestamp), body);
}

Result<std::string> signature_header(const std::vector<std::string>& secrets, std::string_view id,
                                     std::int64_t timestamp, std::string_view body) {
  std::string header;
  for (const std::string& secret : secrets) {
    auto signature = sign_webhook(secret, id, timestamp, body);
    if (!signature) return signature;
    if (!header.empty()) header += ' ';
    header += *signature;
  }
  return header;
}

Result<void> verify_webhook(std::string_view secret, std::string_view id,
                            std::string_view timestamp, std::string_view body,
                            std::string_view signatures, Timestamp now,
                            std::chrono::seconds tolerance) {
  auto key = secret_key(secret);
  if (!key) return std::move(key).error();
  const std::string ts(timestamp);
  char* end = nullptr;
  const long long seconds = std::strtoll(ts.c_str(), &end, 10);
  if (ts.empty() || end != ts.c_str() + ts.size()) {
    return Error::invalid("webhook-timestamp", "timestamp must be integer unix seconds");
  }
  const auto sent = std::chrono::seconds(seconds);
  const auto at = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  if (sent < at - tolerance) return Error::invalid("webhook-timestamp", "timestamp too old");
  if (sent > at + tolerance) return Error::invalid("webhook-timestamp", "timestamp too new");

  const std::string expected = hmac_base64(*key, id, ts, body);
  while (!signatures.empty()) {
    const auto space = signatures.find(' ');
    const std::string_view entry = signatures.substr(0, space);
    signatures = space == std::string_view::npos ? std::string_view() : signatures.substr(space + 1);
    if (entry.substr(0, 3) != "v1,") continue;
    const std::string_view candidate = entry.substr(3);
    if (candidate.size() == expected.size() &&
        CRYPTO_memcmp(candidate.data(), expected.data(), expected.size()) == 0) {
      return {};
    }
  }
  return Error::invalid("webhook-signature", "no matching signature");
}

}  // namespace runhooks
