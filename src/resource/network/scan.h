#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/net/address.h"
#include "common/result.h"
#include "resource/network/link.h"
#include "resource/network/netns.h"

namespace kata::resource::network {

// A route of the main table through one interface, as the guest will need it.
struct Route {
  net::Family family = net::Family::kV4;
  std::optional<net::IpNet> destination;  // 10.1.0.0/16; none for the default route
  std::optional<net::IpAddress> gateway;  // none for an on-link route
  std::string device;                     // the interface it leaves through
  int ifindex = 0;
  std::optional<net::IpAddress> source;  // preferred source address
  int scope = 0;                         // RT_SCOPE_*: 0 universe, 253 link, 254 host
  uint32_t metric = 0;
  // RTPROT_*: 2 (kernel) marks the subnet route the kernel made for an address; the guest
  // kernel makes its own when the address is added there.
  int protocol = 0;

  bool operator==(const Route&) const = default;
};

// A permanent neighbour entry (static ARP / NDP), which some CNI plugins install.
struct Neighbour {
  net::IpAddress address;
  std::string mac;  // net::format_hw_addr's text
  std::string device;
  int ifindex = 0;

  bool operator==(const Neighbour&) const = default;
};

struct Interface {
  std::string name;
  int ifindex = 0;
  LinkKind kind = LinkKind::kOther;
  std::string kind_name;  // the kernel's IFLA_INFO_KIND ("veth", "bridge", "" for physical)
  // net::format_hw_addr's text, the form QEMU and the agent take; empty for devices
  // without one (tun).
  std::string mac;
  uint32_t mtu = 0;
  bool up = false;
  // IPv6 link-local ones (net::is_link_local) included: the conversion for the guest
  // decides what to copy.
  std::vector<net::IpNet> addresses;
  std::vector<Route> routes;
  std::vector<Neighbour> neighbours;
};

// What a CNI plugin or container engine left in `ns`: every interface except loopback,
// sorted by ifindex, with its addresses, main-table unicast routes and permanent
// neighbours. A multipath route is reported through its first path only.
Result<std::vector<Interface>> scan(const NetNs& ns);

}  // namespace kata::resource::network
