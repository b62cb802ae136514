#include "runtime/network_convert.h"

#include <fmt/format.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <optional>

#include "common/net/address.h"

namespace kata::runtime {
namespace {

namespace host = resource::network;

types::IPFamily to_proto(net::Family family) {
  return family == net::Family::kV4 ? types::v4 : types::v6;
}

// The agent protocol carries addresses as text; "" for none.
template <typename T>
std::string text(const std::optional<T>& a) {
  return a ? net::to_string(*a) : "";
}

bool copied_to_guest(const host::Route& r) {
  if (r.protocol == RTPROT_KERNEL) return false;
  return !(r.destination && net::is_link_local(r.destination->address)) &&
         !(r.source && net::is_link_local(*r.source));
}

// A queue some other reader (QEMU, ours included) owns.
bool is_queue(host::LinkKind kind) {
  return kind == host::LinkKind::kTap || kind == host::LinkKind::kTun ||
         kind == host::LinkKind::kMacvtap;
}

}  // namespace

bool carries_to_guest(const host::Interface& iface) {
  if (is_queue(iface.kind) || iface.mac.empty()) return false;
  // A physical NIC has no kind; a virtual one (bridge, vxlan, ...) is not an endpoint.
  return iface.kind != host::LinkKind::kOther || iface.kind_name.empty();
}

Status check_carriable(const host::Interface& iface) {
  if (carries_to_guest(iface) || is_queue(iface.kind)) return {};
  auto configured =
      std::find_if(iface.addresses.begin(), iface.addresses.end(),
                   [](const net::IpNet& a) { return !net::is_link_local(a.address); });
  if (configured == iface.addresses.end()) return {};
  std::string kind = iface.kind_name.empty() ? "a device without an Ethernet address"
                                             : fmt::format("kind `{}`", iface.kind_name);
  return Error(Code::kFailedPrecondition,
               fmt::format("interface `{}` ({}, address {}) cannot be carried into the VM: "
                           "the tcfilter model carries veth, macvlan, ipvlan and physical "
                           "Ethernet interfaces",
                           iface.name, kind, net::to_string(*configured)));
}

std::string tap_name(size_t index) { return fmt::format("tap{}_kata", index); }

std::string placeholder_mac(const std::array<uint8_t, 5>& random) {
  return net::to_string(
      net::MacAddress{{0x02, random[0], random[1], random[2], random[3], random[4]}});
}

types::Interface to_guest_interface(const host::Interface& iface) {
  types::Interface out;
  out.set_name(iface.name);
  out.set_hwaddr(iface.mac);
  out.set_mtu(iface.mtu);
  for (const net::IpNet& a : iface.addresses) {
    if (net::is_link_local(a.address)) continue;
    types::IPAddress* p = out.add_ipaddresses();
    p->set_family(to_proto(a.address.family));
    p->set_address(net::to_string(a.address));
    p->set_mask(std::to_string(a.prefix_len));
  }
  return out;
}

grpc::Routes guest_routes(const std::vector<host::Interface>& ifaces) {
  grpc::Routes out;
  for (const host::Interface& iface : ifaces) {
    for (const host::Route& r : iface.routes) {
      if (!copied_to_guest(r)) continue;
      types::Route* p = out.add_routes();
      p->set_dest(text(r.destination));
      p->set_gateway(text(r.gateway));
      p->set_device(iface.name);
      p->set_source(text(r.source));
      p->set_scope(static_cast<uint32_t>(r.scope));
      p->set_family(to_proto(r.family));
    }
  }
  return out;
}

grpc::ARPNeighbors guest_neighbours(const std::vector<host::Interface>& ifaces) {
  grpc::ARPNeighbors out;
  for (const host::Interface& iface : ifaces) {
    for (const host::Neighbour& n : iface.neighbours) {
      types::ARPNeighbor* p = out.add_arpneighbors();
      p->mutable_toipaddress()->set_family(to_proto(n.address.family));
      p->mutable_toipaddress()->set_address(net::to_string(n.address));
      p->set_device(iface.name);
      p->set_lladdr(n.mac);
      p->set_state(NUD_PERMANENT);
    }
  }
  return out;
}

}  // namespace kata::runtime
