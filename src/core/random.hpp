#pragma once
// Identifiers and secrets from OpenSSL's CSPRNG. Thread-safe.

#include <runhooks/error.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace runhooks::detail {

/// `n` random bytes; `internal` if the generator fails (it does not on Linux
/// once seeded, but we never hand out a weak secret if it does).
Result<std::string> random_bytes(std::size_t n);

/// A random (version 4) UUID in canonical lowercase form.
Result<std::string> random_uuid();

/// A time-ordered (version 7, RFC 9562) UUID: 48 bits of unix milliseconds,
/// a 12-bit counter, then random bits. Ids made later in this process for
/// the present time sort later, also within one millisecond, so B-tree
/// indexes on them append instead of writing a random page: used for events,
/// deliveries and attempts, which are written at high rates. An id for a
/// time more than a second behind the latest one made, or over a minute
/// ahead of the system clock, has a random counter instead.
Result<std::string> time_ordered_uuid(std::int64_t unix_millis);

/// A Standard Webhooks secret: `whsec_` + base64 of `bytes` random bytes.
Result<std::string> new_signing_secret(std::size_t bytes = 24);

}  // namespace runhooks::detail
