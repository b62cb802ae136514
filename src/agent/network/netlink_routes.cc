// The route half of NetlinkGuestNetwork: the main table, unicast routes only
// (the agent API has no way to say "blackhole" or "local").
#include <linux/rtnetlink.h>

#include "agent/network/netlink_network.h"
#include "agent/network/nl.h"

namespace kata::agent::network {
namespace {

std::optional<Route> to_route(rtnl_route* r, nl_cache* links) {
  if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST) {
    return std::nullopt;
  }
  int family = rtnl_route_get_family(r);
  if ((family != AF_INET && family != AF_INET6) || rtnl_route_get_nnexthops(r) < 1) {
    return std::nullopt;
  }
  Route route;
  route.family = family == AF_INET ? Family::kV4 : Family::kV6;
  route.scope = rtnl_route_get_scope(r);
  route.priority = rtnl_route_get_priority(r);
  route.protocol = rtnl_route_get_protocol(r);
  nl_addr* dst = rtnl_route_get_dst(r);
  // The default route comes without a destination address.
  std::optional<IpAddress> dest = nl::from_nl(dst);
  route.dest = IpNet{dest.value_or(IpAddress{route.family, {}}),
                     dest ? static_cast<int>(nl_addr_get_prefixlen(dst)) : 0};
  route.source = nl::from_nl(rtnl_route_get_pref_src(r));
  // A multipath route shows as its first hop: the agent installs none.
  rtnl_nexthop* hop = rtnl_route_nexthop_n(r, 0);
  route.link_index = rtnl_route_nh_get_ifindex(hop);
  route.gateway = nl::from_nl(rtnl_route_nh_get_gateway(hop));
  route.flags = rtnl_route_nh_get_flags(hop);
  char name[IFNAMSIZ] = {};
  if (rtnl_link_i2name(links, route.link_index, name, sizeof(name))) route.device = name;
  return route;
}

Result<nl::RouteObj> route_object(const Route& r) {
  nl::RouteObj route(rtnl_route_alloc());
  rtnl_nexthop* hop = rtnl_route_nh_alloc();
  nl::Addr dst = nl::to_nl(r.dest.address, r.dest.prefix_len);
  nl::Addr gateway = r.gateway ? nl::to_nl(*r.gateway, r.gateway->max_prefix_len()) : nullptr;
  nl::Addr source = r.source ? nl::to_nl(*r.source, r.source->max_prefix_len()) : nullptr;
  if (!route || !hop || !dst || (r.gateway && !gateway) || (r.source && !source)) {
    if (hop) rtnl_route_nh_free(hop);
    return Error(Code::kResourceExhausted, "netlink: out of memory");
  }
  rtnl_route_set_family(route.get(), nl::af(r.family));
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  rtnl_route_set_protocol(route.get(), r.protocol);
  rtnl_route_set_scope(route.get(), r.scope);
  rtnl_route_set_dst(route.get(), dst.get());
  if (r.priority != 0) rtnl_route_set_priority(route.get(), r.priority);
  if (source) rtnl_route_set_pref_src(route.get(), source.get());
  rtnl_route_nh_set_ifindex(hop, r.link_index);
  if (gateway) rtnl_route_nh_set_gateway(hop, gateway.get());
  if (r.flags != 0) rtnl_route_nh_set_flags(hop, r.flags);
  rtnl_route_add_nexthop(route.get(), hop);  // the route owns it now
  return route;
}

}  // namespace

Result<std::vector<Route>> NetlinkGuestNetwork::list_routes() {
  auto lock = session_->lock();
  KATA_ASSIGN_OR_RETURN(nl::Cache links, session_->link_cache());
  KATA_ASSIGN_OR_RETURN(nl::Cache cache, session_->route_cache());
  std::vector<Route> routes;
  for (nl_object* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
    std::optional<Route> route = to_route(reinterpret_cast<rtnl_route*>(o), links.get());
    if (route) routes.push_back(std::move(*route));
  }
  return routes;
}

Result<void> NetlinkGuestNetwork::add_route(const Route& route) {
  KATA_ASSIGN_OR_RETURN(nl::RouteObj r, route_object(route));
  auto lock = session_->lock();
  // EXCL: a route with the same key is the caller's to judge (EEXIST).
  return session_->call([&](nl_sock* s) { return rtnl_route_add(s, r.get(), NLM_F_EXCL); });
}

Result<void> NetlinkGuestNetwork::delete_route(const Route& route) {
  KATA_ASSIGN_OR_RETURN(nl::RouteObj r, route_object(route));
  auto lock = session_->lock();
  return session_->call([&](nl_sock* s) { return rtnl_route_delete(s, r.get(), 0); });
}

}  // namespace kata::agent::network
