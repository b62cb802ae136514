#include "agent/network/netlink_network.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>

#include <functional>
#include <thread>

#include "agent/network/device_path.h"
#include "agent/network/nl.h"
#include "common/net/address.h"

namespace kata::agent::network {
namespace {

Link to_link(rtnl_link* l) {
  Link link;
  link.index = rtnl_link_get_ifindex(l);
  link.mtu = rtnl_link_get_mtu(l);
  link.flags = rtnl_link_get_flags(l);
  if (const char* name = rtnl_link_get_name(l)) link.name = name;
  if (const char* kind = rtnl_link_get_type(l)) link.kind = kind;
  if (nl_addr* hw = rtnl_link_get_addr(l)) {
    link.hw_addr = net::format_hw_addr(std::span<const uint8_t>(
        static_cast<const uint8_t*>(nl_addr_get_binary_addr(hw)), nl_addr_get_len(hw)));
  }
  return link;
}

Error out_of_memory() { return Error(Code::kResourceExhausted, "netlink: out of memory"); }

// One RTM_NEWLINK for link `index` carrying what `edit` sets.
Result<void> change_link(nl::Session& session, int index,
                         const std::function<void(rtnl_link*)>& edit) {
  nl::LinkObj orig(rtnl_link_alloc()), change(rtnl_link_alloc());
  if (!orig || !change) return out_of_memory();
  rtnl_link_set_ifindex(orig.get(), index);
  edit(change.get());
  auto lock = session.lock();
  return session.call([&](nl_sock* s) { return rtnl_link_change(s, orig.get(), change.get(), 0); });
}

Result<nl::AddrObj> address_object(int index, const IpNet& address) {
  nl::AddrObj a(rtnl_addr_alloc());
  nl::Addr local = nl::to_nl(address.address, address.prefix_len);
  if (!a || !local) return out_of_memory();
  rtnl_addr_set_ifindex(a.get(), index);
  rtnl_addr_set_family(a.get(), nl::af(address.address.family));
  rtnl_addr_set_local(a.get(), local.get());
  rtnl_addr_set_prefixlen(a.get(), address.prefix_len);
  return a;
}

Result<std::vector<Link>> list_links_of(nl::Session& session) {
  auto lock = session.lock();
  KATA_ASSIGN_OR_RETURN(nl::Cache cache, session.link_cache());
  std::vector<Link> links;
  for (nl_object* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
    links.push_back(to_link(reinterpret_cast<rtnl_link*>(o)));
  }
  return links;
}

Result<void> move_link(nl::Session& session, int index, int ns_fd) {
  return change_link(session, index, [ns_fd](rtnl_link* l) { rtnl_link_set_ns_fd(l, ns_fd); });
}

UniqueFd open_thread_netns() {
  return UniqueFd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
}

}  // namespace

NetlinkGuestNetwork::NetlinkGuestNetwork(std::unique_ptr<nl::Session> session, UniqueFd home_ns,
                                         std::string sysfs_root)
    : session_(std::move(session)),
      home_ns_(std::move(home_ns)),
      sysfs_root_(std::move(sysfs_root)) {}

NetlinkGuestNetwork::~NetlinkGuestNetwork() = default;

Result<std::unique_ptr<NetlinkGuestNetwork>> NetlinkGuestNetwork::open(std::string sysfs_root) {
  KATA_ASSIGN_OR_RETURN(std::unique_ptr<nl::Session> session, nl::Session::open());
  UniqueFd home_ns = open_thread_netns();
  if (!home_ns) return Error::from_errno(errno, "open /proc/thread-self/ns/net");
  return std::unique_ptr<NetlinkGuestNetwork>(
      new NetlinkGuestNetwork(std::move(session), std::move(home_ns), std::move(sysfs_root)));
}

Result<std::vector<Link>> NetlinkGuestNetwork::list_links() { return list_links_of(*session_); }

Result<std::vector<Address>> NetlinkGuestNetwork::list_addresses() {
  auto lock = session_->lock();
  KATA_ASSIGN_OR_RETURN(nl::Cache cache, session_->addr_cache());
  std::vector<Address> addresses;
  for (nl_object* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    std::optional<IpAddress> local = nl::from_nl(rtnl_addr_get_local(a));
    if (!local) continue;
    addresses.push_back({rtnl_addr_get_ifindex(a), IpNet{*local, rtnl_addr_get_prefixlen(a)}});
  }
  return addresses;
}

Result<void> NetlinkGuestNetwork::set_link_up(int index, bool up) {
  return change_link(*session_, index, [up](rtnl_link* l) {
    up ? rtnl_link_set_flags(l, IFF_UP) : rtnl_link_unset_flags(l, IFF_UP);
  });
}

Result<void> NetlinkGuestNetwork::set_link_name(int index, const std::string& name) {
  return change_link(*session_, index, [&](rtnl_link* l) { rtnl_link_set_name(l, name.c_str()); });
}

Result<void> NetlinkGuestNetwork::set_link_mac(int index, const MacAddress& mac) {
  nl::Addr addr = nl::to_nl(mac);
  if (!addr) return out_of_memory();
  return change_link(*session_, index, [&](rtnl_link* l) { rtnl_link_set_addr(l, addr.get()); });
}

Result<void> NetlinkGuestNetwork::set_link_mtu(int index, uint32_t mtu) {
  return change_link(*session_, index, [mtu](rtnl_link* l) { rtnl_link_set_mtu(l, mtu); });
}

Result<void> NetlinkGuestNetwork::set_link_arp(int index, bool arp) {
  return change_link(*session_, index, [arp](rtnl_link* l) {
    arp ? rtnl_link_unset_flags(l, IFF_NOARP) : rtnl_link_set_flags(l, IFF_NOARP);
  });
}

Result<void> NetlinkGuestNetwork::add_address(int index, const IpNet& address) {
  KATA_ASSIGN_OR_RETURN(nl::AddrObj a, address_object(index, address));
  auto lock = session_->lock();
  return session_->call([&](nl_sock* s) { return rtnl_addr_add(s, a.get(), 0); });
}

Result<void> NetlinkGuestNetwork::delete_address(int index, const IpNet& address) {
  KATA_ASSIGN_OR_RETURN(nl::AddrObj a, address_object(index, address));
  auto lock = session_->lock();
  return session_->call([&](nl_sock* s) { return rtnl_addr_delete(s, a.get(), 0); });
}

Result<void> NetlinkGuestNetwork::set_neighbour(const Neighbour& n) {
  nl::NeighObj neigh(rtnl_neigh_alloc());
  nl::Addr dst = nl::to_nl(n.ip, n.ip.max_prefix_len());
  nl::Addr lladdr = n.lladdr ? nl::to_nl(*n.lladdr) : nullptr;
  if (!neigh || !dst || (n.lladdr && !lladdr)) return out_of_memory();
  rtnl_neigh_set_ifindex(neigh.get(), n.link_index);
  rtnl_neigh_set_family(neigh.get(), nl::af(n.ip.family));
  rtnl_neigh_set_dst(neigh.get(), dst.get());
  if (lladdr) rtnl_neigh_set_lladdr(neigh.get(), lladdr.get());
  rtnl_neigh_set_state(neigh.get(), n.state);
  rtnl_neigh_set_flags(neigh.get(), n.flags);
  auto lock = session_->lock();
  return session_->call(
      [&](nl_sock* s) { return rtnl_neigh_add(s, neigh.get(), NLM_F_CREATE | NLM_F_REPLACE); });
}

Result<void> NetlinkGuestNetwork::open_parking() {
  if (parking_) return {};
  // A thread of its own enters a new namespace, so that the agent's threads stay
  // where the containers are; the socket and the fd keep the namespace alive after
  // the thread ends.
  Result<std::unique_ptr<nl::Session>> session = Error(Code::kInternal, "no parking thread");
  UniqueFd ns;
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      session = Error::from_errno(errno, "unshare network namespace");
      return;
    }
    ns = open_thread_netns();
    session = ns ? nl::Session::open()
                 : Result<std::unique_ptr<nl::Session>>(
                       Error::from_errno(errno, "open the new namespace"));
  }).join();
  if (!session) return std::move(session).error().context("make the parking namespace");
  parking_ = std::move(*session);
  parking_ns_ = std::move(ns);
  return {};
}

Result<void> NetlinkGuestNetwork::park_link(int index) {
  std::lock_guard lock(parking_mu_);
  KATA_TRY(open_parking());
  return move_link(*session_, index, parking_ns_.get());
}

Result<std::vector<Link>> NetlinkGuestNetwork::list_parked_links() {
  std::lock_guard lock(parking_mu_);
  if (!parking_) return std::vector<Link>{};
  KATA_ASSIGN_OR_RETURN(std::vector<Link> links, list_links_of(*parking_));
  std::erase_if(links, [](const Link& l) { return l.name == "lo"; });  // the namespace's own
  return links;
}

Result<void> NetlinkGuestNetwork::unpark_link(int parked_index) {
  std::lock_guard lock(parking_mu_);
  if (!parking_) return sys_error(ENODEV, "no link is parked");
  return move_link(*parking_, parked_index, home_ns_.get());
}

Result<std::vector<std::string>> NetlinkGuestNetwork::links_at_device_path(
    const std::string& path) {
  return net_devices_at(sysfs_root_, path);
}

}  // namespace kata::agent::network
