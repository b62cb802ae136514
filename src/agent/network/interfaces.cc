#include "agent/network/interfaces.h"

#include <fmt/format.h>
#include <net/if.h>

#include <algorithm>
#include <thread>

#include "common/net/address.h"

namespace kata::agent::network {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(50);

const Link* by_name(const std::vector<Link>& links, const std::string& name) {
  auto it = std::find_if(links.begin(), links.end(), [&](const Link& l) { return l.name == name; });
  return it == links.end() ? nullptr : &*it;
}

bool is_up(const Link& link) { return (link.flags & IFF_UP) != 0; }

// The link the host means, if it is there now.
Result<std::optional<Link>> match_nic(GuestNetwork& net, const InterfaceSpec& spec) {
  KATA_ASSIGN_OR_RETURN(std::vector<Link> links, net.list_links());
  if (spec.mac) {
    std::string mac = to_string(*spec.mac);
    for (const Link& l : links) {
      if (l.hw_addr == mac) return std::optional<Link>(l);
    }
  }
  if (!spec.device.empty()) {
    const Link* link = by_name(links, spec.device);
    return link ? std::optional<Link>(*link) : std::optional<Link>();
  }
  if (spec.device_path.empty()) return std::optional<Link>();
  KATA_ASSIGN_OR_RETURN(std::vector<std::string> names, net.links_at_device_path(spec.device_path));
  if (names.size() > 1) {
    return Error(Code::kFailedPrecondition,
                 fmt::format("device path `{}` has {} network devices ({}): which one is meant?",
                             spec.device_path, names.size(), fmt::join(names, ", ")));
  }
  const Link* link = names.empty() ? nullptr : by_name(links, names[0]);
  return link ? std::optional<Link>(*link) : std::optional<Link>();
}

// A parked NIC (guest_network.h) the host names by MAC or by its name, moved back
// into the containers' namespace: the link as it is there now.
Result<std::optional<Link>> unpark_nic(GuestNetwork& net, const InterfaceSpec& spec) {
  KATA_ASSIGN_OR_RETURN(std::vector<Link> parked, net.list_parked_links());
  std::string mac = spec.mac ? to_string(*spec.mac) : "";
  auto it = std::find_if(parked.begin(), parked.end(), [&](const Link& l) {
    return (!mac.empty() && l.hw_addr == mac) || (!spec.device.empty() && l.name == spec.device);
  });
  if (it == parked.end()) return std::optional<Link>();
  KATA_TRY(net.unpark_link(it->index).context("unpark " + it->name));
  KATA_ASSIGN_OR_RETURN(std::vector<Link> links, net.list_links());
  const Link* link = by_name(links, it->name);
  if (link == nullptr) return Error(Code::kInternal, "unparked link " + it->name + " vanished");
  return std::optional<Link>(*link);
}

Result<Link> find_nic(GuestNetwork& net, const InterfaceSpec& spec,
                      std::chrono::milliseconds wait) {
  Clock::time_point deadline = Clock::now() + wait;
  while (true) {
    KATA_ASSIGN_OR_RETURN(std::optional<Link> link, match_nic(net, spec));
    if (link) return *link;
    KATA_ASSIGN_OR_RETURN(link, unpark_nic(net, spec));
    if (link) return *link;
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(kPollInterval);
  }
  std::string by = spec.mac ? fmt::format("with MAC {}", to_string(*spec.mac)) : "";
  if (!spec.device.empty()) by += fmt::format("{}named {}", by.empty() ? "" : " or ", spec.device);
  if (!spec.device_path.empty()) {
    by += fmt::format("{}at device path `{}`", by.empty() ? "" : " or ", spec.device_path);
  }
  return Error(Code::kNotFound, fmt::format("no link {}", by));
}

// Gives `link` the name another link holds by swapping the two, as upstream
// does: the host's name wins and the other link takes the old one.
Result<void> rename_link(GuestNetwork& net, const Link& link, const std::string& name) {
  std::string what = fmt::format("rename {} to {}", link.name, name);
  KATA_ASSIGN_OR_RETURN(std::vector<Link> links, net.list_links());
  const Link* holder = by_name(links, name);
  if (holder == nullptr) return net.set_link_name(link.index, name).context(what);
  Link other = *holder;
  if (is_up(other)) KATA_TRY(net.set_link_up(other.index, false).context(what));
  KATA_TRY(net.set_link_name(other.index, fmt::format("kata-swap{}", other.index)).context(what));
  KATA_TRY(net.set_link_name(link.index, name).context(what));
  KATA_TRY(net.set_link_name(other.index, link.name).context(what));
  if (is_up(other)) KATA_TRY(net.set_link_up(other.index, true).context(what));
  return {};
}

// Name and MAC change only on a link that is down; MTU and ARP need not, but
// happen before the link comes up so that it never runs half configured.
Result<void> configure_link(GuestNetwork& net, const Link& link, const InterfaceSpec& spec) {
  bool rename = !spec.name.empty() && spec.name != link.name;
  bool new_mac = spec.mac && to_string(*spec.mac) != link.hw_addr;
  if ((rename || new_mac) && is_up(link)) {
    KATA_TRY(net.set_link_up(link.index, false).context("bring " + link.name + " down"));
  }
  if (rename) KATA_TRY(rename_link(net, link, spec.name));
  if (new_mac) {
    KATA_TRY(net.set_link_mac(link.index, *spec.mac).context("set MAC " + to_string(*spec.mac)));
  }
  if (spec.mtu != 0 && spec.mtu != link.mtu) {
    KATA_TRY(net.set_link_mtu(link.index, spec.mtu).context(fmt::format("set MTU {}", spec.mtu)));
  }
  bool arp = (link.flags & IFF_NOARP) == 0;
  if (arp != spec.arp) {
    KATA_TRY(net.set_link_arp(link.index, spec.arp).context(spec.arp ? "arp on" : "arp off"));
  }
  return {};
}

// Removes what the host did not ask for and adds what is missing, so that an
// address both have (and the routes that use it) stays in place. The kernel's
// own IPv6 link-local address stays unless the host lists link-local ones.
Result<void> replace_addresses(GuestNetwork& net, int index, const std::vector<IpNet>& wanted) {
  KATA_ASSIGN_OR_RETURN(std::vector<Address> all, net.list_addresses());
  bool host_link_local = std::any_of(wanted.begin(), wanted.end(),
                                     [](const IpNet& a) { return net::is_link_local(a.address); });
  std::vector<IpNet> have;
  for (const Address& a : all) {
    if (a.link_index != index) continue;
    bool keep = std::find(wanted.begin(), wanted.end(), a.local) != wanted.end() ||
                (net::is_link_local(a.local.address) && !host_link_local);
    if (keep) {
      have.push_back(a.local);
      continue;
    }
    KATA_TRY(net.delete_address(index, a.local).context("delete address " + to_string(a.local)));
  }
  for (const IpNet& a : wanted) {
    if (std::find(have.begin(), have.end(), a) != have.end()) continue;
    KATA_TRY(net.add_address(index, a).context("add address " + to_string(a)));
  }
  return {};
}

std::vector<Interface> join(std::vector<Link> links, const std::vector<Address>& addresses) {
  std::vector<Interface> out;
  for (Link& l : links) {
    Interface iface;
    iface.link = std::move(l);
    for (const Address& a : addresses) {
      if (a.link_index == iface.link.index) iface.addresses.push_back(a.local);
    }
    out.push_back(std::move(iface));
  }
  return out;
}

// The links of the containers' namespace, with their addresses.
Result<std::vector<Interface>> interfaces_here(GuestNetwork& net) {
  KATA_ASSIGN_OR_RETURN(std::vector<Link> links, net.list_links());
  KATA_ASSIGN_OR_RETURN(std::vector<Address> addresses, net.list_addresses());
  return join(std::move(links), addresses);
}

Result<Interface> read_interface(GuestNetwork& net, int index, const std::string& device_path) {
  KATA_ASSIGN_OR_RETURN(std::vector<Interface> all, interfaces_here(net));
  for (Interface& iface : all) {
    if (iface.link.index != index) continue;
    iface.device_path = device_path;
    return std::move(iface);
  }
  return Error(Code::kNotFound, fmt::format("link {} vanished", index));
}

}  // namespace

Result<void> bring_lo_up(GuestNetwork& net) {
  KATA_ASSIGN_OR_RETURN(std::vector<Link> links, net.list_links());
  const Link* lo = by_name(links, "lo");
  if (lo == nullptr || is_up(*lo)) return {};
  return net.set_link_up(lo->index, true).context("bring lo up");
}

std::string update_label(const InterfaceSpec& spec) {
  if (!spec.name.empty()) return "update interface " + spec.name;
  if (spec.mac) return "update interface " + to_string(*spec.mac);
  return "update interface at " + spec.device_path;
}

Result<Interface> update_interface(GuestNetwork& net, const InterfaceSpec& spec,
                                   std::chrono::milliseconds wait_for_nic) {
  std::string what = update_label(spec);
  KATA_ASSIGN_OR_RETURN(Link link, find_nic(net, spec, wait_for_nic).context(what));
  KATA_TRY(configure_link(net, link, spec).context(what));
  KATA_TRY(replace_addresses(net, link.index, spec.addresses).context(what));
  std::string name = spec.name.empty() ? link.name : spec.name;
  KATA_TRY(net.set_link_up(link.index, true).context(what + ": bring " + name + " up"));
  KATA_TRY(bring_lo_up(net).context(what));
  return read_interface(net, link.index, spec.device_path).context(what);
}

Result<std::vector<Interface>> list_interfaces(GuestNetwork& net) {
  KATA_ASSIGN_OR_RETURN(std::vector<Interface> out, interfaces_here(net));
  KATA_ASSIGN_OR_RETURN(std::vector<Link> parked, net.list_parked_links());
  std::vector<Interface> parked_ifaces = join(std::move(parked), {});
  out.insert(out.end(), parked_ifaces.begin(), parked_ifaces.end());
  return out;
}

}  // namespace kata::agent::network
