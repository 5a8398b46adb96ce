#pragma once
// Byte encodings runhooks needs: base64 (signing secrets and signatures),
// lowercase hex, SHA-256 (API keys). Thin wrappers over OpenSSL.

#include <optional>
#include <string>
#include <string_view>

namespace runhooks::detail {

/// Standard base64 with padding.
std::string base64_encode(std::string_view bytes);

/// The bytes of standard base64 with padding, or nothing when `text` is not
/// valid base64.
std::optional<std::string> base64_decode(std::string_view text);

std::string hex_encode(std::string_view bytes);

/// SHA-256 of `data`, as lowercase hex.
std::string sha256_hex(std::string_view data);

}  // namespace runhooks::detail
