#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/net/address.h"

namespace kata::agent::network {

// What the agent configures in the guest, in the kernel's terms but free of
// both protobuf and libnl: the RPC conversion (convert.h) and the netlink
// implementation (netlink_network.h) meet here.

// The addresses are the ones the host uses too (common/net/address.h).
using net::Family;
using net::IpAddress;
using net::IpNet;
using net::MacAddress;

struct Link {
  int index = 0;
  std::string name;
  std::string hw_addr;  // "02:42:ac:11:00:02" (lower case); "" for a link without one
  uint32_t mtu = 0;
  uint32_t flags = 0;  // IFF_*
  std::string kind;    // "veth", "dummy", ...; "" for a plain device such as virtio-net
};

struct Address {
  int link_index = 0;
  IpNet local;
};

// A route of the main table. `device` is for people and the RPCs,
// `link_index` for the kernel; GuestNetwork fills both when it lists.
struct Route {
  Family family = Family::kV4;
  IpNet dest;  // prefix_len 0: the default route
  std::optional<IpAddress> gateway;
  std::optional<IpAddress> source;  // preferred source address (`ip route ... src`)
  std::string device;
  int link_index = 0;
  uint8_t scope = 0;      // RT_SCOPE_*
  uint32_t flags = 0;     // RTNH_F_* (onlink)
  uint32_t priority = 0;  // the metric; 0: the kernel's default
  uint8_t protocol = 3;   // RTPROT_*; RTPROT_BOOT for what the agent installs, as upstream
};

struct Neighbour {
  IpAddress ip;
  std::optional<MacAddress> lladdr;
  std::string device;
  int link_index = 0;
  uint16_t state = 0;  // NUD_*
  uint8_t flags = 0;   // NTF_*
};

}  // namespace kata::agent::network
