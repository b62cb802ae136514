#pragma once

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "agent/network/guest_network.h"
#include "common/net/address.h"

namespace kata::agent::testing {

// An in-memory GuestNetwork that refuses what the kernel refuses, in the ways
// the network logic's tests rely on: renaming a link or changing its MAC
// while it is up (EBUSY, as virtio-net does), a route on a down link
// (ENETDOWN), a gateway that no link route on its link covers (ENETUNREACH),
// a second route with the same key (EEXIST). Like the kernel, an address on
// an up link brings its prefix route (protocol kernel), and a link going down
// loses its IPv4 routes.
class FakeGuestNetwork final : public network::GuestNetwork {
 public:
  // State: tests set it up and read it back.
  std::vector<network::Link> links;
  std::vector<network::Address> addresses;
  std::vector<network::Route> routes;  // what was added; list_routes adds the kernel's
  std::vector<network::Neighbour> neighbours;
  std::map<std::string, std::vector<std::string>> device_paths;  // path -> link names
  std::vector<network::Link> parked;                             // in the parking namespace

  // Knobs.
  int device_path_misses = 0;  // lookups that find nothing first (a NIC still probing)
  int fail_add_address_errno = 0;

  // Observations: each change, in order ("down eth0", "name eth0 eth1", "mac ...").
  std::vector<std::string> calls;

  int add_link(const std::string& name, const std::string& mac, bool up = false) {
    int index = next_index_++;
    links.push_back(network::Link{index, name, mac, 1500, up ? unsigned(IFF_UP) : 0u, ""});
    return index;
  }
  network::Link* link(const std::string& name) {
    for (network::Link& l : links) {
      if (l.name == name) return &l;
    }
    return nullptr;
  }

  Result<std::vector<network::Link>> list_links() override { return links; }
  Result<std::vector<network::Address>> list_addresses() override { return addresses; }
  Result<std::vector<network::Route>> list_routes() override {
    std::vector<network::Route> out;
    for (const network::Address& a : addresses) {
      const network::Link* l = by_index(a.link_index);
      bool v4 = a.local.address.family == network::Family::kV4;
      if (l == nullptr || !(l->flags & IFF_UP) ||
          a.local.prefix_len == a.local.address.max_prefix_len()) {
        continue;
      }
      network::Route r;
      r.family = a.local.address.family;
      r.dest = net::masked(a.local);
      if (v4) r.source = a.local.address;
      r.device = l->name;
      r.link_index = l->index;
      r.scope = v4 ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
      r.priority = v4 ? 0 : 256;
      r.protocol = RTPROT_KERNEL;
      out.push_back(r);
    }
    out.insert(out.end(), routes.begin(), routes.end());
    return out;
  }

  Result<void> set_link_up(int index, bool up) override {
    network::Link* l = by_index(index);
    if (l == nullptr) return network::sys_error(ENODEV);
    calls.push_back((up ? "up " : "down ") + l->name);
    l->flags = up ? (l->flags | IFF_UP) : (l->flags & ~IFF_UP);
    if (!up) {
      std::erase_if(routes, [&](const network::Route& r) {
        return r.link_index == index && r.family == network::Family::kV4;
      });
    }
    return {};
  }
  Result<void> set_link_name(int index, const std::string& name) override {
    network::Link* l = by_index(index);
    if (l == nullptr) return network::sys_error(ENODEV);
    if (l->flags & IFF_UP) return network::sys_error(EBUSY);
    if (name.empty() || name.size() >= IFNAMSIZ) return network::sys_error(EINVAL);
    if (link(name) != nullptr) return network::sys_error(EEXIST);
    calls.push_back("name " + l->name + " " + name);
    l->name = name;
    for (network::Route& r : routes) {
      if (r.link_index == index) r.device = name;
    }
    return {};
  }
  Result<void> set_link_mac(int index, const network::MacAddress& mac) override {
    network::Link* l = by_index(index);
    if (l == nullptr) return network::sys_error(ENODEV);
    if (l->flags & IFF_UP) return network::sys_error(EBUSY);
    l->hw_addr = net::to_string(mac);
    calls.push_back("mac " + l->name + " " + l->hw_addr);
    return {};
  }
  Result<void> set_link_mtu(int index, uint32_t mtu) override {
    network::Link* l = by_index(index);
    if (l == nullptr) return network::sys_error(ENODEV);
    if (mtu < 68 || mtu > 65535) return network::sys_error(EINVAL);
    l->mtu = mtu;
    calls.push_back("mtu " + l->name + " " + std::to_string(mtu));
    return {};
  }
  Result<void> set_link_arp(int index, bool arp) override {
    network::Link* l = by_index(index);
    if (l == nullptr) return network::sys_error(ENODEV);
    l->flags = arp ? (l->flags & ~IFF_NOARP) : (l->flags | IFF_NOARP);
    calls.push_back((arp ? "arp on " : "arp off ") + l->name);
    return {};
  }

  Result<void> add_address(int index, const network::IpNet& a) override {
    if (by_index(index) == nullptr) return network::sys_error(ENODEV);
    if (fail_add_address_errno != 0) return network::sys_error(fail_add_address_errno);
    for (const network::Address& have : addresses) {
      if (have.link_index == index && have.local == a) return network::sys_error(EEXIST);
    }
    addresses.push_back({index, a});
    calls.push_back("add " + net::to_string(a));
    return {};
  }
  Result<void> delete_address(int index, const network::IpNet& a) override {
    auto it = std::find_if(addresses.begin(), addresses.end(), [&](const network::Address& x) {
      return x.link_index == index && x.local == a;
    });
    if (it == addresses.end()) return network::sys_error(EADDRNOTAVAIL);
    addresses.erase(it);
    calls.push_back("delete " + net::to_string(a));
    return {};
  }

  Result<void> add_route(const network::Route& r) override {
    const network::Link* l = by_index(r.link_index);
    if (l == nullptr) return network::sys_error(ENODEV);
    if (!(l->flags & IFF_UP)) return network::sys_error(ENETDOWN);
    std::vector<network::Route> table = *list_routes();
    for (const network::Route& have : table) {
      if (have.family == r.family && have.dest == r.dest && have.priority == r.priority) {
        return network::sys_error(EEXIST);
      }
    }
    if (r.gateway && !(r.flags & RTNH_F_ONLINK) && !reachable(table, r)) {
      return network::sys_error(ENETUNREACH);
    }
    routes.push_back(r);
    routes.back().device = l->name;
    calls.push_back("route " + net::to_string(r.dest));
    return {};
  }
  Result<void> delete_route(const network::Route& r) override {
    auto it = std::find_if(routes.begin(), routes.end(), [&](const network::Route& x) {
      return x.family == r.family && x.dest == r.dest && x.priority == r.priority &&
             x.link_index == r.link_index && x.gateway == r.gateway;
    });
    if (it == routes.end()) return network::sys_error(ESRCH);
    calls.push_back("unroute " + net::to_string(r.dest));
    routes.erase(it);
    return {};
  }

  Result<void> set_neighbour(const network::Neighbour& n) override {
    if (by_index(n.link_index) == nullptr) return network::sys_error(ENODEV);
    std::erase_if(neighbours, [&](const network::Neighbour& x) {
      return x.ip == n.ip && x.link_index == n.link_index;
    });
    neighbours.push_back(n);
    return {};
  }

  // As the kernel moves a link between namespaces: it arrives down, without its
  // addresses and routes, and may get a new index (here it always does, so that
  // callers that keep the old one fail).
  Result<void> park_link(int index) override {
    network::Link* l = by_index(index);
    if (l == nullptr) return network::sys_error(ENODEV);
    calls.push_back("park " + l->name);
    parked.push_back(moved(*l));
    forget(index);
    return {};
  }
  Result<std::vector<network::Link>> list_parked_links() override { return parked; }
  Result<void> unpark_link(int parked_index) override {
    auto it = std::find_if(parked.begin(), parked.end(),
                           [&](const network::Link& l) { return l.index == parked_index; });
    if (it == parked.end()) return network::sys_error(ENODEV);
    if (link(it->name) != nullptr) return network::sys_error(EEXIST);
    calls.push_back("unpark " + it->name);
    links.push_back(moved(*it));
    parked.erase(it);
    return {};
  }

  Result<std::vector<std::string>> links_at_device_path(const std::string& path) override {
    if (device_path_misses > 0) {
      --device_path_misses;
      return std::vector<std::string>();
    }
    auto it = device_paths.find(path);
    return it == device_paths.end() ? std::vector<std::string>() : it->second;
  }

 private:
  network::Link moved(network::Link l) {
    l.index = next_index_++;
    l.flags &= ~unsigned(IFF_UP);
    return l;
  }
  void forget(int index) {
    std::erase_if(links, [&](const network::Link& l) { return l.index == index; });
    std::erase_if(addresses, [&](const network::Address& a) { return a.link_index == index; });
    std::erase_if(routes, [&](const network::Route& r) { return r.link_index == index; });
    std::erase_if(neighbours, [&](const network::Neighbour& n) { return n.link_index == index; });
  }
  network::Link* by_index(int index) {
    for (network::Link& l : links) {
      if (l.index == index) return &l;
    }
    return nullptr;
  }
  // As the kernel checks a gateway: a route without a gateway on the same
  // link covers it, of link scope or narrower than the new route's (IPv4);
  // an IPv6 link-local gateway is always on the link.
  static bool reachable(const std::vector<network::Route>& table, const network::Route& r) {
    if (net::is_link_local(*r.gateway)) return true;
    return std::any_of(table.begin(), table.end(), [&](const network::Route& via) {
      return via.link_index == r.link_index && !via.gateway &&
             net::contains(via.dest, *r.gateway) &&
             (r.family == network::Family::kV6 ||
              via.scope >= std::max<int>(r.scope + 1, RT_SCOPE_LINK));
    });
  }

  int next_index_ = 2;  // 1 is lo's in a real namespace
};

}  // namespace kata::agent::testing
