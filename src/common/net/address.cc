#include "common/net/address.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace kata::net {
namespace {

Error invalid(std::string message) { return Error(Code::kInvalidArgument, std::move(message)); }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int max_prefix_len(Family family) { return family == Family::kV4 ? 32 : 128; }

}  // namespace

std::string_view to_string(Family family) { return family == Family::kV4 ? "ipv4" : "ipv6"; }

Result<IpAddress> parse_ip(std::string_view text) {
  // inet_pton wants a NUL-terminated string and rejects what is not exactly
  // one address (no zone, no prefix, no leading zeros in IPv4).
  std::string s(text);
  IpAddress ip;
  if (::inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) return ip;
  ip.family = Family::kV6;
  if (::inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) return ip;
  return invalid(fmt::format("`{}` is not an IP address", text));
}

Result<int> parse_prefix_len(std::string_view text, Family family) {
  int len = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), len);
  int max = max_prefix_len(family);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || len < 0 ||
      len > max) {
    return invalid(fmt::format("`{}` is not a prefix length (0 to {})", text, max));
  }
  return len;
}

Result<IpNet> parse_cidr(std::string_view text) {
  size_t slash = text.find('/');
  KATA_ASSIGN_OR_RETURN(IpAddress ip, parse_ip(text.substr(0, slash)));
  if (slash == std::string_view::npos) return IpNet{ip, ip.max_prefix_len()};
  Result<int> len = parse_prefix_len(text.substr(slash + 1), ip.family);
  if (!len) return std::move(len).error().context(fmt::format("`{}`", text));
  return IpNet{ip, *len};
}

Result<MacAddress> parse_mac(std::string_view text) {
  MacAddress mac;
  bool ok = text.size() == 17;
  for (size_t i = 0; ok && i < 6; ++i) {
    int hi = hex_digit(text[i * 3]), lo = hex_digit(text[i * 3 + 1]);
    ok = hi >= 0 && lo >= 0 && (i == 5 || text[i * 3 + 2] == ':');
    mac.bytes[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  if (!ok) return invalid(fmt::format("`{}` is not a MAC address", text));
  return mac;
}

Result<IpAddress> ip_from_bytes(Family family, std::span<const uint8_t> bytes) {
  IpAddress ip{family, {}};
  if (bytes.size() != ip.size()) {
    return invalid(fmt::format("{} address of {} bytes", to_string(family), bytes.size()));
  }
  std::copy(bytes.begin(), bytes.end(), ip.bytes.begin());
  return ip;
}

Result<IpNet> make_net(const IpAddress& address, int prefix_len) {
  if (prefix_len < 0 || prefix_len > address.max_prefix_len()) {
    return invalid(
        fmt::format("{} prefix length {} out of range", to_string(address.family), prefix_len));
  }
  return IpNet{address, prefix_len};
}

std::string to_string(const IpAddress& ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(ip.family == Family::kV4 ? AF_INET : AF_INET6, ip.bytes.data(), buf, sizeof(buf));
  return buf;
}

std::string to_string(const IpNet& net) {
  return fmt::format("{}/{}", to_string(net.address), net.prefix_len);
}

std::string to_string(const MacAddress& mac) { return format_hw_addr(mac.bytes); }

std::string format_hw_addr(std::span<const uint8_t> bytes) {
  std::string out;
  for (uint8_t b : bytes) out += fmt::format("{}{:02x}", out.empty() ? "" : ":", b);
  return out;
}

IpNet masked(const IpNet& net) {
  IpNet out = net;
  for (size_t i = 0; i < out.address.bytes.size(); ++i) {
    int bits = std::clamp(net.prefix_len - static_cast<int>(i) * 8, 0, 8);
    out.address.bytes[i] &= static_cast<uint8_t>(0xff00 >> bits);
  }
  return out;
}

bool contains(const IpNet& net, const IpAddress& ip) {
  if (net.address.family != ip.family) return false;
  return masked(net) == masked(IpNet{ip, net.prefix_len});
}

IpAddress unspecified(Family family) { return IpAddress{family, {}}; }

bool is_link_local(const IpAddress& ip) {
  return ip.family == Family::kV6 && ip.bytes[0] == 0xfe && (ip.bytes[1] & 0xc0) == 0x80;
}

}  // namespace kata::net
