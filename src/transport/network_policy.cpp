// The network policy: which connected addresses are denied, and the
// allow-list that opens them.

#include <runhooks/network_policy.hpp>

#include <arpa/inet.h>

#include <cstring>

namespace runhooks {

namespace {

using Bytes = std::array<std::uint8_t, 16>;

struct Range {
  Bytes bytes;
  int prefix;  // bits of the 128
  const char* name;
  const char* cidr;
};

// IPv4 ranges, stored as IPv4-mapped IPv6 (::ffff:a.b.c.d/96+n).
constexpr Bytes v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d};
}

constexpr Range kDeniedV4[] = {
    {v4(0, 0, 0, 0), 96 + 8, "unspecified", "0.0.0.0/8"},
    {v4(10, 0, 0, 0), 96 + 8, "private", "10.0.0.0/8"},
    {v4(100, 64, 0, 0), 96 + 10, "CGNAT", "100.64.0.0/10"},
    {v4(127, 0, 0, 0), 96 + 8, "loopback", "127.0.0.0/8"},
    {v4(169, 254, 0, 0), 96 + 16, "link-local", "169.254.0.0/16"},
    {v4(172, 16, 0, 0), 96 + 12, "private", "172.16.0.0/12"},
    {v4(192, 0, 0, 0), 96 + 24, "IETF protocol assignments", "192.0.0.0/24"},
    {v4(192, 168, 0, 0), 96 + 16, "private", "192.168.0.0/16"},
    {v4(198, 18, 0, 0), 96 + 15, "benchmarking", "198.18.0.0/15"},
    {v4(224, 0, 0, 0), 96 + 4, "multicast", "224.0.0.0/4"},
    {v4(240, 0, 0, 0), 96 + 4, "reserved", "240.0.0.0/4"},
};

constexpr Range kDeniedV6[] = {
    {{}, 128, "unspecified", "::/128"},
    {{0x01, 0x00}, 64, "discard-only", "100::/64"},
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, "local-use NAT64", "64:ff9b:1::/48"},
    {{0x20, 0x01, 0x00, 0x00}, 32, "Teredo", "2001::/32"},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "loopback", "::1/128"},
    {{0xfc}, 7, "unique local (ULA)", "fc00::/7"},
    {{0xfe, 0x80}, 10, "link-local", "fe80::/10"},
    {{0xfe, 0xc0}, 10, "site-local", "fec0::/10"},
    {{0xff}, 8, "multicast", "ff00::/8"},
};

bool in_subnet(const Bytes& address, const Bytes& subnet, int prefix) {
  int bits = prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((address[i] & mask) != (subnet[i] & mask)) return false;
  }
  return true;
}

// Parses IPv4 (as IPv4-mapped) or IPv6 text.
std::optional<Bytes> parse_address(std::string_view text) {
  const std::string s(text);
  Bytes bytes{};
  in_addr a4{};
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    bytes[10] = bytes[11] = 0xff;
    std::memcpy(bytes.data() + 12, &a4, 4);
    return bytes;
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    std::memcpy(bytes.data(), &a6, 16);
    return bytes;
  }
  return std::nullopt;
}

Bytes mapped(const std::uint8_t* v4_bytes) {
  Bytes bytes{};
  bytes[10] = bytes[11] = 0xff;
  std::memcpy(bytes.data() + 12, v4_bytes, 4);
  return bytes;
}

// The IPv4 address an IPv6 address carries, with the form's name: IPv4-mapped
// (::ffff:0:0/96), IPv4-compatible (::/96), SIIT (::ffff:0:0:0/96), NAT64
// (64:ff9b::/96), 6to4 (2002::/16).
std::optional<std::pair<Bytes, const char*>> embedded_v4(const Bytes& a) {
  static constexpr Bytes kNat64 = {0x00, 0x64, 0xff, 0x9b};
  static constexpr Bytes k6to4 = {0x20, 0x02};
  static constexpr Bytes kSiit = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
  if (in_subnet(a, v4(0, 0, 0, 0), 96)) return std::nullopt;  // plain IPv4 already
  if (in_subnet(a, Bytes{}, 96)) return std::make_pair(mapped(a.data() + 12), "IPv4-compatible");
  if (in_subnet(a, kSiit, 96)) return std::make_pair(mapped(a.data() + 12), "IPv4-translated");
  if (in_subnet(a, kNat64, 96)) return std::make_pair(mapped(a.data() + 12), "NAT64");
  if (in_subnet(a, k6to4, 16)) return std::make_pair(mapped(a.data() + 2), "6to4");
  return std::nullopt;
}

const Range* denied_range(const Bytes& a) {
  if (in_subnet(a, v4(0, 0, 0, 0), 96)) {
    static constexpr Range kBroadcast{v4(255, 255, 255, 255), 128, "broadcast", "255.255.255.255/32"};
    if (in_subnet(a, kBroadcast.bytes, kBroadcast.prefix)) return &kBroadcast;
    for (const Range& r : kDeniedV4) {
      if (in_subnet(a, r.bytes, r.prefix)) return &r;
    }
    return nullptr;
  }
  for (const Range& r : kDeniedV6) {
    if (in_subnet(a, r.bytes, r.prefix)) return &r;
  }
  return nullptr;
}

}  // namespace

Result<void> NetworkPolicy::allow(std::string_view cidr) {
  const auto slash = cidr.find('/');
  const std::string_view address = cidr.substr(0, slash);
  auto bytes = parse_address(address);
  auto invalid = [&] {
    return Error::invalid("cidr", "'" + std::string(cidr.substr(0, 64)) +
                                      "' is not a subnet like 127.0.0.0/8 or ::1/128");
  };
  if (!bytes) return invalid();
  const bool is_v4 = address.find(':') == std::string_view::npos;
  int prefix = 128;
  if (slash != std::string_view::npos) {
    const std::string digits(cidr.substr(slash + 1));
    if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string::npos) {
      return invalid();
    }
    const int bits = std::stoi(digits);
    if (bits > (is_v4 ? 32 : 128)) return invalid();
    // An IPv4-mapped subnet written in IPv6 (::ffff:10.0.0.0/104) counts its
    // prefix over all 128 bits; shorter than 96 it would open other ranges.
    if (!is_v4 && in_subnet(*bytes, v4(0, 0, 0, 0), 96) && bits < 96) return invalid();
    prefix = is_v4 ? 96 + bits : bits;
  }
  allowed_.push_back(Subnet{*bytes, prefix});
  return {};
}

std::optional<std::string> NetworkPolicy::denial(std::string_view address) const {
  if (deny_nothing_) return std::nullopt;
  const auto bytes = parse_address(address);
  if (!bytes) return std::string(address) + " is not an IP address";
  // Check the address itself, then the IPv4 address an IPv6 form carries.
  std::optional<std::pair<Bytes, const char*>> embedded = embedded_v4(*bytes);
  for (const Subnet& subnet : allowed_) {
    if (in_subnet(*bytes, subnet.bytes, subnet.prefix)) return std::nullopt;
    if (embedded && in_subnet(embedded->first, subnet.bytes, subnet.prefix)) return std::nullopt;
  }
  if (const Range* range = denied_range(*bytes)) {
    return std::string(address) + " is " + range->name + " (" + range->cidr + ")";
  }
  if (embedded) {
    if (const Range* range = denied_range(embedded->first)) {
      return std::string(address) + " is " + embedded->second + " " + range->name + " (" +
             range->cidr + ")";
    }
  }
  return std::nullopt;
}

NetworkPolicy NetworkPolicy::allow_all() {
  NetworkPolicy policy;
  policy.deny_nothing_ = true;
  return policy;
}

}  // namespace runhooks
