// Standard Webhooks v1: HMAC-SHA256 over "id.timestamp.body", base64.

#include <runhooks/signing.hpp>

#include "core/encoding.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <cstdlib>
#include <initializer_list>

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

// One HMAC-SHA256 context per thread, its digest chosen once: fetching the
// algorithm on every call (what HMAC() does in OpenSSL 3) costs more than
// signing a small payload. Each message re-keys it.
class HmacSha256 {
 public:
  HmacSha256() {
    if (EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr)) {
      ctx_ = EVP_MAC_CTX_new(mac);
      EVP_MAC_free(mac);  // the context keeps its own reference
    }
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_END};
    if (ctx_ != nullptr && EVP_MAC_CTX_set_params(ctx_, params) != 1) {
      EVP_MAC_CTX_free(ctx_);
      ctx_ = nullptr;
    }
  }
  ~HmacSha256() { EVP_MAC_CTX_free(ctx_); }
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  /// The MAC of the parts one after the other; empty if OpenSSL fails.
  std::string mac(const std::string& key, std::initializer_list<std::string_view> parts) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    std::size_t length = 0;
    if (ctx_ == nullptr ||
        EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr) != 1) {
      return {};
    }
    for (std::string_view part : parts) {
      if (EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(part.data()), part.size()) != 1) return {};
    }
    if (EVP_MAC_final(ctx_, digest, &length, sizeof digest) != 1) return {};
    return std::string(reinterpret_cast<const char*>(digest), length);
  }

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
};

Result<std::string> hmac_base64(const std::string& key, std::string_view id, std::string_view timestamp,
                                std::string_view body) {
  thread_local HmacSha256 hmac;
  const std::string digest = hmac.mac(key, {id, ".", timestamp, ".", body});
  if (digest.empty()) {
    ERR_clear_error();  // not left for this thread's next TLS error report
    return Error{ErrorCode::internal, {}, "HMAC-SHA256 failed in OpenSSL"};
  }
  return detail::base64_encode(digest);
}

}  // namespace

Result<std::string> sign_webhook(std::string_view secret, std::string_view id,
                                 std::int64_t timestamp, std::string_view body) {
  auto key = secret_key(secret);
  if (!key) return std::move(key).error();
  auto mac = hmac_base64(*key, id, std::to_string(timestamp), body);
  if (!mac) return std::move(mac).error();
  return "v1," + *mac;
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

  auto mac = hmac_base64(*key, id, ts, body);
  if (!mac) return std::move(mac).error();
  const std::string& expected = *mac;
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
