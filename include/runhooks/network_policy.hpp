#pragma once
/// Which addresses deliveries may connect to (docs/delivery.md, Network policy).

#include <runhooks/error.hpp>
#include <runhooks/export.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runhooks {

/// A policy checked on the address actually connected to, so a name that
/// resolves (or rebinds) to a denied address is refused at connect time.
/// By default loopback, private, link-local (cloud metadata), CGNAT, ULA,
/// multicast, unspecified and reserved ranges are denied, also when reached
/// through their IPv4-mapped, IPv4-compatible, 6to4 or NAT64 forms. Subnets
/// on the allow-list are opened (tests and a local n8n use 127.0.0.0/8).
class RUNHOOKS_EXPORT NetworkPolicy {
 public:
  /// Opens `cidr` ("127.0.0.0/8", "::1/128", "10.1.2.3"): addresses in it are
  /// allowed even when a denied range holds them. `invalid_argument` (field
  /// "cidr") for a malformed subnet.
  Result<void> allow(std::string_view cidr);

  /// Refuse plain http:// URLs (checked before connecting).
  bool https_only = false;

  /// Nothing when `address` (textual IPv4 or IPv6) may be connected to; else
  /// why not, e.g. "127.0.0.1 is loopback (127.0.0.0/8)". An address that
  /// does not parse is denied.
  std::optional<std::string> denial(std::string_view address) const;

  /// A policy that allows every address (for tests of other things).
  static NetworkPolicy allow_all();

 private:
  struct Subnet {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
    int prefix = 0;                        // in bits, of the 128
  };
  std::vector<Subnet> allowed_;
  bool deny_nothing_ = false;
};

}  // namespace runhooks
