#include "runtime/network_convert.h"

#include <gtest/gtest.h>
#include <linux/neighbour.h>

#include <string>
#include <vector>

#include "common/net/address.h"

namespace kata::runtime {
namespace {

namespace host = resource::network;
using host::LinkKind;
using net::Family;

host::Interface iface(std::string name, LinkKind kind, std::string mac) {
  host::Interface i;
  i.name = std::move(name);
  i.kind = kind;
  i.mac = std::move(mac);
  return i;
}

// Addresses as text, "" for none.
host::Route route(Family f, std::string dst, std::string gw, std::string src = "",
                  int protocol = 4 /* RTPROT_STATIC */, int scope = 0) {
  host::Route r;
  r.family = f;
  if (!dst.empty()) r.destination = *net::parse_cidr(dst);
  if (!gw.empty()) r.gateway = *net::parse_ip(gw);
  if (!src.empty()) r.source = *net::parse_ip(src);
  r.protocol = protocol;
  r.scope = scope;
  r.device = "host-name-is-not-used";
  return r;
}

constexpr int kKernel = 2;  // RTPROT_KERNEL

TEST(NetworkConvertTest, WhichLinksGetANic) {
  struct Case {
    LinkKind kind;
    std::string mac;
    bool carried;
  };
  const std::string mac = "02:42:ac:11:00:02";
  for (const Case& c : std::vector<Case>{
           {LinkKind::kVeth, mac, true},
           {LinkKind::kMacvlan, mac, true},
           {LinkKind::kIpvlan, mac, true},
           {LinkKind::kOther, mac, true},  // e.g. a physical NIC moved into the namespace
           {LinkKind::kOther, "", false},  // not Ethernet (ipip, wireguard)
           {LinkKind::kTap, mac, false},   // somebody's queue, our own taps among them
           {LinkKind::kTun, "", false},
           {LinkKind::kMacvtap, mac, false},
       }) {
    EXPECT_EQ(carries_to_guest(iface("x", c.kind, c.mac)), c.carried)
        << host::to_string(c.kind) << " mac=" << c.mac;
  }
}

TEST(NetworkConvertTest, ConfiguredInterfacesThatNoNicCarriesAreRefusedByName) {
  struct Case {
    LinkKind kind;
    std::string kind_name, mac, address;  // "" for none
    bool carried, refused;
  };
  const std::string mac = "02:42:ac:11:00:02";
  for (const Case& c : std::vector<Case>{
           {LinkKind::kVeth, "veth", mac, "10.1.0.2/24", true, false},
           {LinkKind::kOther, "", mac, "10.1.0.2/24", true, false},  // physical
           {LinkKind::kOther, "vxlan", mac, "10.1.0.2/24", false, true},
           {LinkKind::kOther, "bridge", mac, "fd00::1/64", false, true},
           {LinkKind::kOther, "ipip", "", "10.1.0.2/32", false, true},
           {LinkKind::kOther, "wireguard", "", "10.1.0.2/32", false, true},
           // The kernel's fallback tunnel, in every namespace once ipip is loaded.
           {LinkKind::kOther, "ipip", "", "", false, false},
           // Up, so the kernel gave it a link-local address; nobody configured it.
           {LinkKind::kOther, "vxlan", mac, "fe80::1/64", false, false},
           {LinkKind::kTun, "tun", "", "10.8.0.1/24", false, false},  // a queue, as today
       }) {
    host::Interface i = iface("x0", c.kind, c.mac);
    i.kind_name = c.kind_name;
    if (!c.address.empty()) i.addresses.push_back(*net::parse_cidr(c.address));
    EXPECT_EQ(carries_to_guest(i), c.carried) << c.kind_name;
    Status checked = check_carriable(i);
    EXPECT_EQ(!checked, c.refused) << c.kind_name << " " << c.address;
    if (checked) continue;
    EXPECT_EQ(checked.error().code(), Code::kFailedPrecondition);
    EXPECT_NE(checked.error().message().find("interface `x0`"), std::string::npos)
        << checked.error().message();
    EXPECT_NE(checked.error().message().find("`" + c.kind_name + "`"), std::string::npos)
        << checked.error().message();
  }
}

TEST(NetworkConvertTest, TapNamesAndPlaceholderMac) {
  EXPECT_EQ(tap_name(0), "tap0_kata");
  EXPECT_EQ(tap_name(12), "tap12_kata");

  std::string mac = placeholder_mac({0xab, 0x00, 0x01, 0xfe, 0x7f});
  EXPECT_EQ(mac, "02:ab:00:01:fe:7f");
  auto bytes = net::parse_mac(mac);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->bytes[0] & 0x02, 0x02) << "locally administered";
  EXPECT_EQ(bytes->bytes[0] & 0x01, 0x00) << "unicast";
}

TEST(NetworkConvertTest, InterfaceCarriesMacNameMtuAndAddressesButNotLinkLocal) {
  host::Interface veth = iface("eth0", LinkKind::kVeth, "9a:1b:2c:3d:4e:5f");
  veth.mtu = 1450;
  veth.addresses = {
      *net::parse_cidr("10.88.0.2/16"), *net::parse_cidr("fe80::981b:2cff:fe3d:4e5f/64"),
      *net::parse_cidr("fd00::2/64"), *net::parse_cidr("169.254.1.2/32")};  // Calico-style: kept

  types::Interface out = to_guest_interface(veth);
  EXPECT_EQ(out.name(), "eth0");
  EXPECT_EQ(out.hwaddr(), "9a:1b:2c:3d:4e:5f");
  EXPECT_EQ(out.device(), "") << "found by MAC, not by its guest name";
  EXPECT_EQ(out.mtu(), 1450u);
  ASSERT_EQ(out.ipaddresses_size(), 3);
  EXPECT_EQ(out.ipaddresses(0).address(), "10.88.0.2");
  EXPECT_EQ(out.ipaddresses(0).mask(), "16");
  EXPECT_EQ(out.ipaddresses(0).family(), types::v4);
  EXPECT_EQ(out.ipaddresses(1).address(), "fd00::2");
  EXPECT_EQ(out.ipaddresses(1).mask(), "64");
  EXPECT_EQ(out.ipaddresses(1).family(), types::v6);
  EXPECT_EQ(out.ipaddresses(2).address(), "169.254.1.2");
  EXPECT_EQ(out.ipaddresses(2).mask(), "32");
}

TEST(NetworkConvertTest, RoutesOfEveryInterfaceExceptTheKernelsAndLinkLocal) {
  host::Interface eth0 = iface("eth0", LinkKind::kVeth, "02:00:00:00:00:10");
  eth0.routes = {
      route(Family::kV4, "", "10.88.0.1"),
      route(Family::kV4, "10.88.0.0/16", "", "10.88.0.2", kKernel, 253),
      route(Family::kV4, "192.168.5.0/24", "10.88.0.3", "10.88.0.2"),
      route(Family::kV4, "169.254.1.1/32", "", "", 4, 253),
      route(Family::kV6, "fe80::/64", "", "", kKernel),
      route(Family::kV6, "fe80::/64", "", "", 3 /* boot */),
      route(Family::kV6, "fd01::/64", "", "fe80::1"),
      route(Family::kV6, "", "fe80::1"),  // a link-local gateway is fine: the peer has it
  };
  host::Interface eth1 = iface("eth1", LinkKind::kMacvlan, "02:00:00:00:00:11");
  eth1.routes = {route(Family::kV6, "", "fd00::1")};

  grpc::Routes out = guest_routes({eth0, eth1});
  struct Want {
    std::string dest, gateway, device, source;
    uint32_t scope;
    types::IPFamily family;
  };
  std::vector<Want> want = {
      {"", "10.88.0.1", "eth0", "", 0, types::v4},
      {"192.168.5.0/24", "10.88.0.3", "eth0", "10.88.0.2", 0, types::v4},
      {"169.254.1.1/32", "", "eth0", "", 253, types::v4},
      {"", "fe80::1", "eth0", "", 0, types::v6},
      {"", "fd00::1", "eth1", "", 0, types::v6},
  };
  ASSERT_EQ(out.routes_size(), static_cast<int>(want.size())) << out.DebugString();
  for (size_t i = 0; i < want.size(); ++i) {
    const types::Route& r = out.routes(static_cast<int>(i));
    EXPECT_EQ(r.dest(), want[i].dest) << i;
    EXPECT_EQ(r.gateway(), want[i].gateway) << i;
    EXPECT_EQ(r.device(), want[i].device) << i;
    EXPECT_EQ(r.source(), want[i].source) << i;
    EXPECT_EQ(r.scope(), want[i].scope) << i;
    EXPECT_EQ(r.family(), want[i].family) << i;
    EXPECT_EQ(r.flags(), 0u) << i;
  }
  EXPECT_EQ(guest_routes({}).routes_size(), 0);
}

TEST(NetworkConvertTest, PermanentNeighboursOnTheGuestLink) {
  host::Interface eth0 = iface("eth0", LinkKind::kVeth, "02:00:00:00:00:10");
  eth0.neighbours = {{*net::parse_ip("10.88.0.1"), "02:00:00:00:00:01", "eth0", 5},
                     {*net::parse_ip("fd00::1"), "02:00:00:00:00:01", "eth0", 5}};
  grpc::ARPNeighbors out = guest_neighbours({eth0});
  ASSERT_EQ(out.arpneighbors_size(), 2);
  const types::ARPNeighbor& n = out.arpneighbors(1);
  EXPECT_EQ(n.toipaddress().address(), "fd00::1");
  EXPECT_EQ(n.toipaddress().family(), types::v6);
  EXPECT_EQ(n.toipaddress().mask(), "");
  EXPECT_EQ(n.device(), "eth0");
  EXPECT_EQ(n.lladdr(), "02:00:00:00:00:01");
  EXPECT_EQ(n.state(), NUD_PERMANENT);
  EXPECT_EQ(n.flags(), 0);
  EXPECT_EQ(out.arpneighbors(0).toipaddress().family(), types::v4);
}

}  // namespace
}  // namespace kata::runtime
