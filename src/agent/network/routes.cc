#include "agent/network/routes.h"

#include <fmt/format.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <set>

#include "common/net/address.h"

namespace kata::agent::network {
namespace {

int install_rank(const Route& r) {
  if (r.dest.prefix_len == 0) return 2;
  return r.gateway ? 1 : 0;
}

// Fills each route's link_index from its device name.
Result<void> resolve_links(GuestNetwork& net, std::vector<Route>& routes) {
  KATA_ASSIGN_OR_RETURN(std::vector<Link> links, net.list_links());
  for (Route& r : routes) {
    auto it =
        std::find_if(links.begin(), links.end(), [&](const Link& l) { return l.name == r.device; });
    if (it == links.end()) {
      return Error(Code::kNotFound,
                   fmt::format("update route {}: no link named `{}`", describe(r), r.device));
    }
    r.link_index = it->index;
  }
  return {};
}

// The routes the agent or anyone but the kernel put on these links.
Result<void> delete_routes_of(GuestNetwork& net, const std::set<int>& links) {
  KATA_ASSIGN_OR_RETURN(std::vector<Route> table, net.list_routes());
  for (const Route& r : table) {
    if (!links.count(r.link_index) || r.protocol == RTPROT_KERNEL) continue;
    Result<void> deleted = net.delete_route(r);
    // ESRCH: gone already, with a link or an address it depended on.
    if (!deleted && deleted.error().sys_errno() != ESRCH) {
      return std::move(deleted).error().context("delete route " + describe(r));
    }
  }
  return {};
}

bool same_route(const Route& a, const Route& b) {
  return a.family == b.family && a.dest == b.dest && a.link_index == b.link_index &&
         a.gateway == b.gateway;
}

// EEXIST is success when the table has this very route: the host often lists
// the link route that the kernel made for an address.
Result<void> install(GuestNetwork& net, const Route& route) {
  Result<void> added = net.add_route(route);
  if (!added && added.error().sys_errno() == EEXIST) {
    KATA_ASSIGN_OR_RETURN(std::vector<Route> table, net.list_routes());
    if (std::any_of(table.begin(), table.end(),
                    [&](const Route& r) { return same_route(r, route); })) {
      return {};
    }
  }
  return std::move(added).context("update route " + describe(route));
}

}  // namespace

std::string describe(const Route& route) {
  std::string out = route.dest.prefix_len == 0 ? "default" : to_string(route.dest);
  if (route.gateway) out += " via " + to_string(*route.gateway);
  if (!route.device.empty()) out += " dev " + route.device;
  if (route.source) out += " src " + to_string(*route.source);
  return out;
}

std::vector<Route> install_order(std::vector<Route> routes) {
  std::stable_sort(routes.begin(), routes.end(), [](const Route& a, const Route& b) {
    return install_rank(a) < install_rank(b);
  });
  return routes;
}

Result<std::vector<Route>> update_routes(GuestNetwork& net, std::vector<Route> routes) {
  KATA_TRY(resolve_links(net, routes));
  std::set<int> links;
  for (const Route& r : routes) links.insert(r.link_index);
  KATA_TRY(delete_routes_of(net, links).context("update routes"));
  for (const Route& r : install_order(std::move(routes))) KATA_TRY(install(net, r));
  return net.list_routes().context("list routes");
}

}  // namespace kata::agent::network
