#pragma once

// IP and MAC addresses as bytes, with strict text forms: one implementation for the host
// (what it scans in the sandbox's network namespace) and the guest agent (what it is told
// to configure), so that both read and print an address the same way.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kata::net {

enum class Family { kV4, kV6 };

// "ipv4" / "ipv6".
std::string_view to_string(Family family);

struct IpAddress {
  Family family = Family::kV4;
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4

  size_t size() const { return family == Family::kV4 ? 4 : 16; }
  int max_prefix_len() const { return family == Family::kV4 ? 32 : 128; }
  std::span<const uint8_t> view() const { return {bytes.data(), size()}; }
  bool operator==(const IpAddress&) const = default;
};

// An address with a prefix length: an interface address keeps its host bits
// ("10.0.0.2/24"), a route destination has none ("10.0.0.0/24").
struct IpNet {
  IpAddress address;
  int prefix_len = 0;

  bool operator==(const IpNet&) const = default;
};

struct MacAddress {
  std::array<uint8_t, 6> bytes{};
  bool operator==(const MacAddress&) const = default;
};

// Text <-> address, strictly: anything malformed is INVALID_ARGUMENT with the offending
// text in the message.

Result<IpAddress> parse_ip(std::string_view text);
// A decimal prefix length that fits `family` ("24"; 0..32 or 0..128).
Result<int> parse_prefix_len(std::string_view text, Family family);
// "10.0.0.0/24", or a bare address for a host prefix (/32, /128).
Result<IpNet> parse_cidr(std::string_view text);
// Six groups of two hex digits separated by ':', either case.
Result<MacAddress> parse_mac(std::string_view text);

// From the raw bytes netlink carries: exactly 4 for IPv4, 16 for IPv6.
Result<IpAddress> ip_from_bytes(Family family, std::span<const uint8_t> bytes);
// `address`/`prefix_len`, if the length fits the family.
Result<IpNet> make_net(const IpAddress& address, int prefix_len);

// Canonical inet_ntop text, lower case: "10.0.0.1", "fd00::1".
std::string to_string(const IpAddress& ip);
std::string to_string(const IpNet& net);  // "10.0.0.0/24"
std::string to_string(const MacAddress& mac);
// Any link-layer address, lower case, ':'-separated; "" for none.
std::string format_hw_addr(std::span<const uint8_t> bytes);

// `net` with its host bits cleared.
IpNet masked(const IpNet& net);
bool contains(const IpNet& net, const IpAddress& ip);
IpAddress unspecified(Family family);  // 0.0.0.0 or ::
// fe80::/10. IPv4 169.254/16 is not: some CNI plugins (Calico) route through 169.254.1.1
// on purpose, and the guest must get those addresses.
bool is_link_local(const IpAddress& ip);

}  // namespace kata::net
