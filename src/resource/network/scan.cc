#include "resource/network/scan.h"

#include <fmt/format.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <sys/socket.h>

#include <algorithm>
#include <optional>
#include <span>

#include "resource/network/nl.h"

namespace kata::resource::network {
namespace {

std::span<const uint8_t> bytes_of(nl_addr* a) {
  if (a == nullptr) return {};
  return {static_cast<const uint8_t*>(nl_addr_get_binary_addr(a)), nl_addr_get_len(a)};
}

bool family_of(int af, net::Family* out) {
  if (af == AF_INET)
    *out = net::Family::kV4;
  else if (af == AF_INET6)
    *out = net::Family::kV6;
  else
    return false;
  return true;
}

// An address without its prefix, or none when netlink gave none.
Result<std::optional<net::IpAddress>> optional_address(net::Family family, nl_addr* a) {
  auto bytes = bytes_of(a);
  if (bytes.empty()) return std::optional<net::IpAddress>();
  KATA_ASSIGN_OR_RETURN(net::IpAddress ip, net::ip_from_bytes(family, bytes));
  return std::optional<net::IpAddress>(ip);
}

Result<net::IpNet> prefix_of(net::Family family, nl_addr* a, int prefix_len) {
  KATA_ASSIGN_OR_RETURN(net::IpAddress ip, net::ip_from_bytes(family, bytes_of(a)));
  return net::make_net(ip, prefix_len);
}

template <typename T, typename Fn>
void for_each(nl_cache* cache, Fn fn) {
  for (nl_object* o = nl_cache_get_first(cache); o != nullptr; o = nl_cache_get_next(o)) {
    fn(reinterpret_cast<T*>(o));
  }
}

Interface* find(std::vector<Interface>& ifs, int ifindex) {
  auto it = std::find_if(ifs.begin(), ifs.end(), [&](auto& i) { return i.ifindex == ifindex; });
  return it == ifs.end() ? nullptr : &*it;
}

std::vector<Interface> links(nl_cache* cache) {
  std::vector<Interface> out;
  for_each<rtnl_link>(cache, [&](rtnl_link* l) {
    unsigned flags = rtnl_link_get_flags(l);
    unsigned arp = rtnl_link_get_arptype(l);
    if ((flags & IFF_LOOPBACK) != 0 || arp == ARPHRD_LOOPBACK) return;
    Interface i;
    i.name = rtnl_link_get_name(l);
    i.ifindex = rtnl_link_get_ifindex(l);
    const char* kind = rtnl_link_get_type(l);
    i.kind_name = kind != nullptr ? kind : "";
    i.kind = classify_link(i.kind_name, arp);
    if (arp == ARPHRD_ETHER) i.mac = net::format_hw_addr(bytes_of(rtnl_link_get_addr(l)));
    i.mtu = rtnl_link_get_mtu(l);
    i.up = (flags & IFF_UP) != 0;
    out.push_back(std::move(i));
  });
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.ifindex < b.ifindex; });
  return out;
}

Status add_addresses(nl_cache* cache, std::vector<Interface>& ifs) {
  Status status;
  for_each<rtnl_addr>(cache, [&](rtnl_addr* a) {
    net::Family family;
    Interface* i = find(ifs, rtnl_addr_get_ifindex(a));
    if (!status || i == nullptr || !family_of(rtnl_addr_get_family(a), &family)) return;
    Result<net::IpNet> ip = prefix_of(family, rtnl_addr_get_local(a), rtnl_addr_get_prefixlen(a));
    if (!ip)
      status = std::move(ip).error().context(fmt::format("address on `{}`", i->name));
    else
      i->addresses.push_back(std::move(*ip));
  });
  return status;
}

Result<Route> to_route(rtnl_route* r, net::Family family, const Interface& dev, rtnl_nexthop* nh) {
  Route route;
  route.family = family;
  nl_addr* dst = rtnl_route_get_dst(r);
  if (dst != nullptr && nl_addr_get_prefixlen(dst) > 0) {
    KATA_ASSIGN_OR_RETURN(route.destination, prefix_of(family, dst, nl_addr_get_prefixlen(dst)));
  }
  KATA_ASSIGN_OR_RETURN(route.gateway, optional_address(family, rtnl_route_nh_get_gateway(nh)));
  KATA_ASSIGN_OR_RETURN(route.source, optional_address(family, rtnl_route_get_pref_src(r)));
  route.device = dev.name;
  route.ifindex = dev.ifindex;
  route.scope = rtnl_route_get_scope(r);
  route.metric = rtnl_route_get_priority(r);
  route.protocol = rtnl_route_get_protocol(r);
  return route;
}

Status add_routes(nl_cache* cache, std::vector<Interface>& ifs) {
  Status status;
  for_each<rtnl_route>(cache, [&](rtnl_route* r) {
    net::Family family;
    // The local and broadcast routes of the local table belong to the addresses; the
    // guest kernel makes those itself.
    if (!status || rtnl_route_get_table(r) != RT_TABLE_MAIN ||
        rtnl_route_get_type(r) != RTN_UNICAST || rtnl_route_get_nnexthops(r) < 1 ||
        !family_of(rtnl_route_get_family(r), &family)) {
      return;
    }
    rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0);
    Interface* i = find(ifs, rtnl_route_nh_get_ifindex(nh));
    if (i == nullptr) return;
    auto route = to_route(r, family, *i, nh);
    if (!route)
      status = std::move(route).error().context(fmt::format("route on `{}`", i->name));
    else
      i->routes.push_back(std::move(*route));
  });
  return status;
}

Status add_neighbours(nl_cache* cache, std::vector<Interface>& ifs) {
  Status status;
  for_each<rtnl_neigh>(cache, [&](rtnl_neigh* n) {
    net::Family family;
    Interface* i = find(ifs, rtnl_neigh_get_ifindex(n));
    if (!status || i == nullptr || (rtnl_neigh_get_state(n) & NUD_PERMANENT) == 0 ||
        !family_of(rtnl_neigh_get_family(n), &family)) {
      return;
    }
    Result<net::IpAddress> addr = net::ip_from_bytes(family, bytes_of(rtnl_neigh_get_dst(n)));
    if (!addr) {
      status = std::move(addr).error().context(fmt::format("neighbour on `{}`", i->name));
      return;
    }
    i->neighbours.push_back(
        {*addr, net::format_hw_addr(bytes_of(rtnl_neigh_get_lladdr(n))), i->name, i->ifindex});
  });
  return status;
}

// Everything is dumped through one socket created here, in the namespace being scanned.
Result<std::vector<Interface>> scan_here() {
  KATA_ASSIGN_OR_RETURN(nl::Sock sock, nl::connect_route());
  nl_cache* raw = nullptr;
  if (int err = rtnl_link_alloc_cache(sock.get(), AF_UNSPEC, &raw); err < 0) {
    return nl::error(err, "list links");
  }
  nl::Cache link_cache(raw);
  std::vector<Interface> ifs = links(link_cache.get());

  if (int err = rtnl_addr_alloc_cache(sock.get(), &raw); err < 0) {
    return nl::error(err, "list addresses");
  }
  KATA_TRY(add_addresses(nl::Cache(raw).get(), ifs));
  if (int err = rtnl_route_alloc_cache(sock.get(), AF_UNSPEC, 0, &raw); err < 0) {
    return nl::error(err, "list routes");
  }
  KATA_TRY(add_routes(nl::Cache(raw).get(), ifs));
  if (int err = rtnl_neigh_alloc_cache(sock.get(), &raw); err < 0) {
    return nl::error(err, "list neighbours");
  }
  KATA_TRY(add_neighbours(nl::Cache(raw).get(), ifs));
  return ifs;
}

}  // namespace

Result<std::vector<Interface>> scan(const NetNs& ns) {
  return ns.run_in(scan_here).context("scan network namespace");
}

}  // namespace kata::resource::network
