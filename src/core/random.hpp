#pragma once
// Identifiers and secrets from OpenSSL's CSPRNG. Thread-safe.

#include <runhooks/error.hpp>

#include <cstddef>
#include <string>

namespace runhooks::detail {

/// `n` random bytes; `internal` if the generator fails (it does not on Linux
/// once seeded, but we never hand out a weak secret if it does).
Result<std::string> random_bytes(std::size_t n);

/// A random (version 4) UUID in canonical lowercase form.
Result<std::string> random_uuid();

/// A Standard Webhooks secret: `whsec_` + base64 of `bytes` random bytes.
Result<std::string> new_signing_secret(std::size_t bytes = 24);

}  // namespace runhooks::detail
