// NetlinkGuestNetwork against the kernel (root): each test runs on a thread
// of its own that has unshared its network namespace, with a veth pair made
// there, so the test process's own namespace is never touched.
#include <gtest/gtest.h>
#include <net/if.h>
#include <netlink/route/link/veth.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <thread>

#include "agent/network/interfaces.h"
#include "agent/network/neighbours.h"
#include "agent/network/netlink_network.h"
#include "agent/network/nl.h"
#include "agent/network/parking.h"
#include "agent/network/routes.h"
#include "common/fs.h"
#include "common/net/address.h"
#include "common/testing/temp_dir.h"

namespace kata::agent::network {
namespace {

constexpr char kVeth0Mac[] = "02:00:00:00:00:10";

// Test setup only: a veth pair veth0 (kVeth0Mac) / veth1, both up.
void make_veth_pair(nl_sock* sock) {
  rtnl_link* link = rtnl_link_veth_alloc();
  ASSERT_NE(link, nullptr);
  rtnl_link_set_name(link, "veth0");
  nl::Addr mac = nl::to_nl(*net::parse_mac(kVeth0Mac));
  rtnl_link_set_addr(link, mac.get());
  rtnl_link_set_flags(link, IFF_UP);
  rtnl_link* peer = rtnl_link_veth_get_peer(link);
  rtnl_link_set_name(peer, "veth1");
  rtnl_link_put(peer);  // get_peer's reference
  int rc = rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL);
  rtnl_link_veth_release(link);  // the pair's own references
  ASSERT_EQ(rc, 0) << "add veth pair: " << nl_geterror(rc);
  // The kernel refuses (ENOTCONN) to create the peer up: so that veth0 has a
  // carrier, veth1 comes up now.
  nl::LinkObj orig(rtnl_link_alloc()), up(rtnl_link_alloc());
  rtnl_link_set_ifindex(orig.get(), static_cast<int>(if_nametoindex("veth1")));
  rtnl_link_set_flags(up.get(), IFF_UP);
  rc = rtnl_link_change(sock, orig.get(), up.get(), 0);
  ASSERT_EQ(rc, 0) << "bring veth1 up: " << nl_geterror(rc);
}

// Runs `body` in a fresh network namespace, on a thread of its own.
void in_new_netns(const std::function<void()>& body) {
  std::thread t([&] {
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << "unshare: " << std::strerror(errno);
    nl::Sock sock(nl_socket_alloc());
    ASSERT_EQ(nl_connect(sock.get(), NETLINK_ROUTE), 0);
    make_veth_pair(sock.get());
    if (!::testing::Test::HasFatalFailure()) body();
  });
  t.join();
}

std::unique_ptr<NetlinkGuestNetwork> open_network(const std::string& sysfs = "/sys") {
  Result<std::unique_ptr<NetlinkGuestNetwork>> net = NetlinkGuestNetwork::open(sysfs);
  EXPECT_TRUE(net.ok()) << net.error().message();
  return net.ok() ? std::move(*net) : nullptr;
}

InterfaceSpec eth0_spec() {
  InterfaceSpec spec;
  spec.name = "eth0";
  spec.mac = *net::parse_mac(kVeth0Mac);
  spec.mtu = 1400;
  spec.addresses = {*net::parse_cidr("10.1.0.2/24"), *net::parse_cidr("fd00:1::2/64")};
  return spec;
}

bool has(const std::vector<IpNet>& addresses, const char* cidr) {
  return std::find(addresses.begin(), addresses.end(), *net::parse_cidr(cidr)) != addresses.end();
}

std::vector<std::string> described(const std::vector<Route>& routes) {
  std::vector<std::string> out;
  for (const Route& r : routes) out.push_back(describe(r));
  return out;
}

Route route(const char* dest, const char* gateway, const char* device) {
  Route r;
  if (dest) r.dest = *net::parse_cidr(dest);
  if (gateway) r.gateway = *net::parse_ip(gateway);
  r.family = dest ? r.dest.address.family : r.gateway->family;
  if (!dest) r.dest = IpNet{net::unspecified(r.family), 0};
  r.device = device;
  r.scope = !r.gateway && r.family == Family::kV4 ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  return r;
}

class NetlinkRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  }
};

TEST_F(NetlinkRoot, UpdateInterfaceByMacRenamesAndAddresses) {
  in_new_netns([] {
    auto net = open_network();
    ASSERT_TRUE(net);
    Result<Interface> iface = update_interface(*net, eth0_spec());
    ASSERT_TRUE(iface.ok()) << iface.error().message();
    EXPECT_EQ(iface->link.name, "eth0");
    EXPECT_EQ(iface->link.hw_addr, kVeth0Mac);
    EXPECT_EQ(iface->link.mtu, 1400u);
    EXPECT_EQ(iface->link.kind, "veth");
    EXPECT_TRUE(iface->link.flags & IFF_UP);
    EXPECT_TRUE(has(iface->addresses, "10.1.0.2/24"));
    EXPECT_TRUE(has(iface->addresses, "fd00:1::2/64"));

    // Again with one address changed: the other stays, the old one goes.
    InterfaceSpec spec = eth0_spec();
    spec.addresses[0] = *net::parse_cidr("10.1.0.3/24");
    iface = update_interface(*net, spec);
    ASSERT_TRUE(iface.ok()) << iface.error().message();
    EXPECT_FALSE(has(iface->addresses, "10.1.0.2/24"));
    EXPECT_TRUE(has(iface->addresses, "10.1.0.3/24"));

    Result<std::vector<Interface>> all = list_interfaces(*net);
    ASSERT_TRUE(all.ok());
    auto lo = std::find_if(all->begin(), all->end(),
                           [](const Interface& i) { return i.link.name == "lo"; });
    ASSERT_NE(lo, all->end());
    EXPECT_TRUE(lo->link.flags & IFF_UP);
    EXPECT_TRUE(has(lo->addresses, "127.0.0.1/8"));
  });
}

TEST_F(NetlinkRoot, UpdateInterfaceByDevicePathSetsTheNewMac) {
  kata::testing::TempDir sysfs;
  ASSERT_TRUE(
      fs::mkdir_all(sysfs.path() + "/devices/pci0000:00/0000:00:05.0/virtio3/net/veth1").ok());
  in_new_netns([&] {
    auto net = open_network(sysfs.path());
    ASSERT_TRUE(net);
    InterfaceSpec spec;
    spec.name = "eth1";
    spec.mac = *net::parse_mac("02:00:00:00:01:01");
    spec.device_path = "05";
    Result<Interface> iface = update_interface(*net, spec);
    ASSERT_TRUE(iface.ok()) << iface.error().message();
    EXPECT_EQ(iface->link.name, "eth1");
    EXPECT_EQ(iface->link.hw_addr, "02:00:00:00:01:01");
    EXPECT_TRUE(iface->link.flags & IFF_UP);

    spec.mac = *net::parse_mac("02:00:00:00:01:99");
    spec.device_path = "06";
    Result<Interface> missing = update_interface(*net, spec);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code(), Code::kNotFound);
  });
}

TEST_F(NetlinkRoot, AParkedLinkLeavesTheNamespaceUntilUpdateInterfaceNamesIt) {
  in_new_netns([] {
    auto net = open_network();
    ASSERT_TRUE(net);
    ASSERT_TRUE(park_nics(*net, {kVeth0Mac}, std::chrono::milliseconds(0)).ok());
    EXPECT_EQ(if_nametoindex("veth0"), 0u) << "veth0 is still in the containers' namespace";
    Result<std::vector<Interface>> listed = list_interfaces(*net);
    ASSERT_TRUE(listed.ok()) << listed.error().message();
    auto parked = std::find_if(listed->begin(), listed->end(),
                               [](const Interface& i) { return i.link.name == "veth0"; });
    ASSERT_NE(parked, listed->end()) << "ListInterfaces must still show the parked NIC";
    EXPECT_EQ(parked->link.hw_addr, kVeth0Mac);

    InterfaceSpec spec = eth0_spec();
    spec.device = "veth0";
    spec.mac = *net::parse_mac("02:00:00:00:00:77");
    Result<Interface> iface = update_interface(*net, spec);
    ASSERT_TRUE(iface.ok()) << iface.error().message();
    EXPECT_NE(if_nametoindex("eth0"), 0u);
    EXPECT_EQ(iface->link.hw_addr, "02:00:00:00:00:77");
    EXPECT_TRUE(iface->link.flags & IFF_UP);
    EXPECT_TRUE(has(iface->addresses, "10.1.0.2/24"));
    Result<std::vector<Link>> still_parked = net->list_parked_links();
    ASSERT_TRUE(still_parked.ok());
    EXPECT_TRUE(still_parked->empty());
  });
}

TEST_F(NetlinkRoot, RoutesGoInInOrderAndAreReplaced) {
  in_new_netns([] {
    auto net = open_network();
    ASSERT_TRUE(net);
    ASSERT_TRUE(update_interface(*net, eth0_spec()).ok());
    Result<std::vector<Route>> now = update_routes(
        *net, {route(nullptr, "10.1.0.1", "eth0"), route("10.2.0.0/16", "10.1.0.1", "eth0"),
               route("10.3.0.0/24", nullptr, "eth0"), route(nullptr, "fd00:1::1", "eth0")});
    ASSERT_TRUE(now.ok()) << now.error().message();
    std::vector<std::string> table = described(*now);
    for (const char* want :
         {"10.1.0.0/24 dev eth0 src 10.1.0.2", "10.2.0.0/16 via 10.1.0.1 dev eth0",
          "10.3.0.0/24 dev eth0", "default via 10.1.0.1 dev eth0", "default via fd00:1::1 dev eth0",
          "fd00:1::/64 dev eth0"}) {
      EXPECT_NE(std::find(table.begin(), table.end(), want), table.end())
          << want << " not in: " << ::testing::PrintToString(table);
    }
    // Nothing of the main table is left out: the other link's kernel route is there.
    EXPECT_NE(std::find(table.begin(), table.end(), "fe80::/64 dev veth1"), table.end())
        << ::testing::PrintToString(table);

    now = update_routes(*net, {route("10.4.0.0/16", "10.1.0.1", "eth0")});
    ASSERT_TRUE(now.ok()) << now.error().message();
    table = described(*now);
    EXPECT_NE(std::find(table.begin(), table.end(), "10.4.0.0/16 via 10.1.0.1 dev eth0"),
              table.end());
    EXPECT_NE(std::find(table.begin(), table.end(), "10.1.0.0/24 dev eth0 src 10.1.0.2"),
              table.end());
    for (const char* gone : {"10.2.0.0/16 via 10.1.0.1 dev eth0", "default via 10.1.0.1 dev eth0",
                             "default via fd00:1::1 dev eth0"}) {
      EXPECT_EQ(std::find(table.begin(), table.end(), gone), table.end()) << gone;
    }
    Result<std::vector<Route>> listed = net->list_routes();
    ASSERT_TRUE(listed.ok());
    EXPECT_EQ(described(*listed), table);
  });
}

TEST_F(NetlinkRoot, UnreachableGatewayIsTheKernelsErrorWithTheRoute) {
  in_new_netns([] {
    auto net = open_network();
    ASSERT_TRUE(net);
    ASSERT_TRUE(update_interface(*net, eth0_spec()).ok());
    Result<std::vector<Route>> now =
        update_routes(*net, {route("10.9.0.0/16", "10.8.0.1", "eth0")});
    ASSERT_FALSE(now.ok());
    EXPECT_EQ(now.error().message(),
              "update route 10.9.0.0/16 via 10.8.0.1 dev eth0: Network is unreachable");
    EXPECT_EQ(now.error().code(), Code::kFailedPrecondition);
    EXPECT_EQ(now.error().sys_errno(), ENETUNREACH);
  });
}

TEST_F(NetlinkRoot, ArpNeighboursAreAddedAndReplaced) {
  in_new_netns([] {
    auto net = open_network();
    ASSERT_TRUE(net);
    ASSERT_TRUE(update_interface(*net, eth0_spec()).ok());
    Neighbour n;
    n.ip = *net::parse_ip("10.1.0.9");
    n.lladdr = *net::parse_mac("02:00:00:00:00:09");
    n.device = "eth0";
    n.state = NUD_PERMANENT;
    ASSERT_TRUE(add_neighbours(*net, {n}).ok());
    n.lladdr = *net::parse_mac("02:00:00:00:00:0a");
    Result<void> replaced = add_neighbours(*net, {n});
    ASSERT_TRUE(replaced.ok()) << replaced.error().message();

    // Read back with libnl directly: the agent API has no way to list them.
    nl::Sock sock(nl_socket_alloc());
    ASSERT_EQ(nl_connect(sock.get(), NETLINK_ROUTE), 0);
    nl_cache* raw = nullptr;
    ASSERT_EQ(rtnl_neigh_alloc_cache(sock.get(), &raw), 0);
    nl::Cache cache(raw);
    nl::Addr dst = nl::to_nl(n.ip, 32);
    rtnl_neigh* found = rtnl_neigh_get(cache.get(), if_nametoindex("eth0"), dst.get());
    ASSERT_NE(found, nullptr);
    nl::NeighObj entry(found);
    EXPECT_EQ(rtnl_neigh_get_state(found), NUD_PERMANENT);
    nl_addr* ll = rtnl_neigh_get_lladdr(found);
    EXPECT_EQ(net::format_hw_addr(std::span<const uint8_t>(
                  static_cast<const uint8_t*>(nl_addr_get_binary_addr(ll)), nl_addr_get_len(ll))),
              "02:00:00:00:00:0a");
  });
}

}  // namespace
}  // namespace kata::agent::network
