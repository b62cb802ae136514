#include "agent/network/convert.h"

#include <fmt/format.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <cctype>
#include <cstdint>
#include <limits>

#include "common/net/address.h"

namespace kata::agent::network {
namespace {

Error invalid(std::string message) { return Error(Code::kInvalidArgument, std::move(message)); }

// The kernel's rules for a link name (dev_valid_name): 1 to 15 bytes, no
// '/', ':' or white space, not "." or "..".
Result<void> check_link_name(const std::string& name) {
  bool ok = name.size() < IFNAMSIZ && name != "." && name != "..";
  for (char c : name)
    ok = ok && c != '/' && c != ':' && !std::isspace(static_cast<unsigned char>(c));
  if (!ok) return invalid(fmt::format("`{}` is not a valid link name", name));
  return {};
}

Result<IpNet> to_ip_net(const types::IPAddress& a) {
  std::string what = fmt::format("address `{}/{}`", a.address(), a.mask());
  Result<IpAddress> ip = net::parse_ip(a.address());
  if (!ip) return std::move(ip).error().context(what);
  Result<int> len = net::parse_prefix_len(a.mask(), ip->family);
  if (!len) return std::move(len).error().context(what);
  return IpNet{*ip, *len};
}

types::IPAddress to_proto(const IpNet& net) {
  types::IPAddress a;
  a.set_family(net.address.family == Family::kV4 ? types::v4 : types::v6);
  a.set_address(to_string(net.address));
  a.set_mask(std::to_string(net.prefix_len));
  return a;
}

Result<InterfaceSpec> interface_spec(const types::Interface& iface) {
  InterfaceSpec spec;
  spec.name = iface.name();
  spec.device = iface.device();
  spec.device_path = iface.devicepath();
  if (!spec.name.empty()) KATA_TRY(check_link_name(spec.name));
  if (!spec.device.empty()) KATA_TRY(check_link_name(spec.device));
  if (!iface.hwaddr().empty()) {
    KATA_ASSIGN_OR_RETURN(spec.mac, net::parse_mac(iface.hwaddr()));
  }
  if (!spec.mac && spec.device.empty() && spec.device_path.empty())
    return invalid("neither hwAddr nor device nor devicePath given");
  if (iface.mtu() > std::numeric_limits<uint32_t>::max()) {
    return invalid(fmt::format("MTU {} is out of range", iface.mtu()));
  }
  spec.mtu = static_cast<uint32_t>(iface.mtu());
  for (const types::IPAddress& a : iface.ipaddresses()) {
    KATA_ASSIGN_OR_RETURN(IpNet net, to_ip_net(a));
    spec.addresses.push_back(net);
  }
  spec.arp = (iface.raw_flags() & IFF_NOARP) == 0;
  return spec;
}

// The route as the host wrote it, for errors about a route that did not parse.
std::string raw_label(const types::Route& r) {
  std::string out = r.dest().empty() ? "default" : r.dest();
  if (!r.gateway().empty()) out += " via " + r.gateway();
  return out + " dev " + r.device();
}

Result<std::optional<IpNet>> route_dest(const std::string& dest) {
  if (dest.empty() || dest == "default" || dest == "0.0.0.0" || dest == "::") {
    return std::optional<IpNet>();
  }
  KATA_ASSIGN_OR_RETURN(IpNet cidr, net::parse_cidr(dest));
  if (cidr.prefix_len == 0) return std::optional<IpNet>();
  if (net::masked(cidr) != cidr) {
    return invalid(fmt::format("destination `{}` has host bits set", dest));
  }
  return std::optional<IpNet>(cidr);
}

// A preferred source: an address, or one written as a host prefix.
Result<std::optional<IpAddress>> route_source(const std::string& source) {
  if (source.empty()) return std::optional<IpAddress>();
  KATA_ASSIGN_OR_RETURN(IpNet cidr, net::parse_cidr(source));
  if (cidr.prefix_len != cidr.address.max_prefix_len()) {
    return invalid(fmt::format("source `{}` is a prefix: source routing is not supported", source));
  }
  return std::optional<IpAddress>(cidr.address);
}

// The one family of the route's addresses, or the proto's if it has none.
Result<Family> route_family(const types::Route& r, const Route& route,
                            const std::optional<IpNet>& dest) {
  std::optional<Family> family;
  for (const std::optional<IpAddress>& ip :
       {dest ? std::optional<IpAddress>(dest->address) : std::nullopt, route.gateway,
        route.source}) {
    if (!ip) continue;
    if (family && *family != ip->family) return invalid("mixes IPv4 and IPv6 addresses");
    family = ip->family;
  }
  return family.value_or(r.family() == types::v6 ? Family::kV6 : Family::kV4);
}

Result<Route> route(const types::Route& r) {
  Route route;
  route.device = r.device();
  route.protocol = RTPROT_BOOT;
  if (route.device.empty()) return invalid("no device");
  KATA_ASSIGN_OR_RETURN(std::optional<IpNet> dest, route_dest(r.dest()));
  if (!r.gateway().empty()) {
    KATA_ASSIGN_OR_RETURN(route.gateway, net::parse_ip(r.gateway()));
  }
  KATA_ASSIGN_OR_RETURN(route.source, route_source(r.source()));
  KATA_ASSIGN_OR_RETURN(route.family, route_family(r, route, dest));
  route.dest = dest.value_or(IpNet{net::unspecified(route.family), 0});
  if (r.scope() > 255) return invalid(fmt::format("scope {} is out of range", r.scope()));
  route.scope = static_cast<uint8_t>(r.scope());
  if (route.scope == RT_SCOPE_UNIVERSE && !route.gateway && route.family == Family::kV4) {
    route.scope = RT_SCOPE_LINK;
  }
  // Only onlink is the host's to ask for; the others (linkdown, dead) are the
  // kernel's to report, and it refuses them in a request.
  route.flags = r.flags() & RTNH_F_ONLINK;
  return route;
}

Result<Neighbour> neighbour(const types::ARPNeighbor& n) {
  Neighbour out;
  out.device = n.device();
  if (out.device.empty()) return invalid("no device");
  if (!n.has_toipaddress() || n.toipaddress().address().empty()) return invalid("no IP address");
  KATA_ASSIGN_OR_RETURN(out.ip, net::parse_ip(n.toipaddress().address()));
  if (!n.lladdr().empty()) {
    KATA_ASSIGN_OR_RETURN(out.lladdr, net::parse_mac(n.lladdr()));
  }
  if (n.state() < 0 || n.state() > 0xffff) return invalid(fmt::format("state {}", n.state()));
  if (n.flags() < 0 || n.flags() > 0xff) return invalid(fmt::format("flags {}", n.flags()));
  out.state = n.state() == 0 ? NUD_PERMANENT : static_cast<uint16_t>(n.state());
  out.flags = static_cast<uint8_t>(n.flags());
  return out;
}

}  // namespace

Result<InterfaceSpec> to_interface_spec(const types::Interface& iface) {
  // As update_label() names it, from the request as the host wrote it.
  std::string label = !iface.name().empty()     ? iface.name()
                      : !iface.hwaddr().empty() ? iface.hwaddr()
                      : !iface.device().empty() ? iface.device()
                                                : "at " + iface.devicepath();
  return interface_spec(iface).context("update interface " + label);
}

types::Interface to_proto(const Interface& iface) {
  types::Interface out;
  out.set_device(iface.link.name);
  out.set_name(iface.link.name);
  out.set_hwaddr(iface.link.hw_addr);
  out.set_mtu(iface.link.mtu);
  out.set_devicepath(iface.device_path);
  out.set_type(iface.link.kind);
  out.set_raw_flags(iface.link.flags);
  for (const IpNet& a : iface.addresses) *out.add_ipaddresses() = to_proto(a);
  return out;
}

grpc::Interfaces to_proto(const std::vector<Interface>& ifaces) {
  grpc::Interfaces out;
  for (const Interface& i : ifaces) *out.add_interfaces() = to_proto(i);
  return out;
}

Result<Route> to_route(const types::Route& r) {
  return route(r).context("update route " + raw_label(r));
}

Result<std::vector<Route>> to_routes(const grpc::Routes& routes) {
  std::vector<Route> out;
  for (const types::Route& r : routes.routes()) {
    KATA_ASSIGN_OR_RETURN(Route route, to_route(r));
    out.push_back(std::move(route));
  }
  return out;
}

grpc::Routes to_proto(const std::vector<Route>& routes) {
  grpc::Routes out;
  for (const Route& r : routes) {
    types::Route* p = out.add_routes();
    // The default route has no destination, as upstream's agent reports it.
    if (r.dest.prefix_len != 0) p->set_dest(to_string(r.dest));
    if (r.gateway) p->set_gateway(to_string(*r.gateway));
    if (r.source) p->set_source(to_string(*r.source));
    p->set_device(r.device);
    p->set_scope(r.scope);
    p->set_family(r.family == Family::kV4 ? types::v4 : types::v6);
    p->set_flags(r.flags);
  }
  return out;
}

Result<std::vector<Neighbour>> to_neighbours(const grpc::ARPNeighbors& neighbours) {
  std::vector<Neighbour> out;
  for (const types::ARPNeighbor& n : neighbours.arpneighbors()) {
    Result<Neighbour> converted = neighbour(n);
    if (!converted) {
      return std::move(converted).error().context(
          fmt::format("add neighbour {} dev {}", n.toipaddress().address(), n.device()));
    }
    out.push_back(std::move(*converted));
  }
  return out;
}

}  // namespace kata::agent::network
