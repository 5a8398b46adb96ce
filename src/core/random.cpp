#include "core/random.hpp"

#include "core/encoding.hpp"

#include <openssl/rand.h>

namespace runhooks::detail {

Result<std::string> random_bytes(std::size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    return Error{ErrorCode::internal, {}, "random number generator failed"};
  }
  return bytes;
}

namespace {
std::string format_uuid(std::string& b, int version) {
  b[6] = static_cast<char>((b[6] & 0x0F) | (version << 4));
  b[8] = static_cast<char>((b[8] & 0x3F) | 0x80);  // variant 10xx (RFC 9562)
  const std::string hex = hex_encode(b);
  return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' +
         hex.substr(16, 4) + '-' + hex.substr(20);
}
}  // namespace

Result<std::string> random_uuid() {
  auto bytes = random_bytes(16);
  if (!bytes) return std::move(bytes).error();
  return format_uuid(*bytes, 4);
}

Result<std::string> time_ordered_uuid(std::int64_t unix_millis) {
  auto bytes = random_bytes(16);
  if (!bytes) return std::move(bytes).error();
  for (int i = 0; i < 6; ++i) {
    (*bytes)[static_cast<std::size_t>(i)] = static_cast<char>((unix_millis >> (40 - 8 * i)) & 0xFF);
  }
  return format_uuid(*bytes, 7);
}

Result<std::string> new_signing_secret(std::size_t bytes) {
  auto key = random_bytes(bytes);
  if (!key) return std::move(key).error();
  return "whsec_" + base64_encode(*key);
}

}  // namespace runhooks::detail
