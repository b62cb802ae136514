#include "agent/network/convert.h"

#include <gtest/gtest.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "agent/network/routes.h"
#include "common/net/address.h"

namespace kata::agent::network {
namespace {

types::Interface iface(const char* name, const char* mac) {
  types::Interface i;
  i.set_name(name);
  i.set_hwaddr(mac);
  return i;
}

void add_address(types::Interface& i, const char* address, const char* mask) {
  types::IPAddress* a = i.add_ipaddresses();
  a->set_address(address);
  a->set_mask(mask);
}

types::Route proto_route(const char* dest, const char* gateway, const char* device) {
  types::Route r;
  r.set_dest(dest);
  r.set_gateway(gateway);
  r.set_device(device);
  return r;
}

TEST(InterfaceSpec, ConvertsTheHostsRequest) {
  types::Interface i = iface("eth0", "02:42:AC:11:00:02");
  i.set_mtu(1450);
  add_address(i, "172.17.0.2", "16");
  add_address(i, "fd00::2", "64");  // family left at v4, as hosts that never set it send it
  i.set_raw_flags(IFF_UP | IFF_NOARP);
  Result<InterfaceSpec> spec = to_interface_spec(i);
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->name, "eth0");
  EXPECT_EQ(to_string(*spec->mac), "02:42:ac:11:00:02");
  EXPECT_EQ(spec->mtu, 1450u);
  ASSERT_EQ(spec->addresses.size(), 2u);
  EXPECT_EQ(to_string(spec->addresses[0]), "172.17.0.2/16");
  EXPECT_EQ(to_string(spec->addresses[1]), "fd00::2/64");
  EXPECT_FALSE(spec->arp);
}

TEST(InterfaceSpec, RejectsMalformedFieldsWithTheInterfaceName) {
  struct Case {
    types::Interface in;
    const char* message;
  };
  std::vector<Case> cases;
  cases.push_back({iface("eth0", "02:42:ac:11:00"),
                   "update interface eth0: `02:42:ac:11:00` is not a MAC address"});
  cases.push_back(
      {iface("eth0", ""), "update interface eth0: neither hwAddr nor device nor devicePath given"});
  cases.push_back(
      {iface("a/b", "02:42:ac:11:00:02"), "update interface a/b: `a/b` is not a valid link name"});
  cases.push_back(
      {iface("sixteen-chars-xx", "02:42:ac:11:00:02"),
       "update interface sixteen-chars-xx: `sixteen-chars-xx` is not a valid link name"});
  types::Interface bad_ip = iface("eth0", "02:42:ac:11:00:02");
  add_address(bad_ip, "10.0.0.300", "24");
  cases.push_back(
      {bad_ip,
       "update interface eth0: address `10.0.0.300/24`: `10.0.0.300` is not an IP address"});
  types::Interface bad_mask = iface("eth0", "02:42:ac:11:00:02");
  add_address(bad_mask, "10.0.0.3", "33");
  cases.push_back({bad_mask,
                   "update interface eth0: address `10.0.0.3/33`: `33` is not a prefix length (0 "
                   "to 32)"});
  types::Interface no_mask = iface("eth0", "02:42:ac:11:00:02");
  add_address(no_mask, "10.0.0.3", "");
  cases.push_back({no_mask,
                   "update interface eth0: address `10.0.0.3/`: `` is not a prefix length (0 to "
                   "32)"});
  types::Interface big_mtu = iface("eth0", "02:42:ac:11:00:02");
  big_mtu.set_mtu(1ull << 33);
  cases.push_back({big_mtu, "update interface eth0: MTU 8589934592 is out of range"});
  for (const Case& c : cases) {
    Result<InterfaceSpec> spec = to_interface_spec(c.in);
    ASSERT_FALSE(spec.ok()) << c.message;
    EXPECT_EQ(spec.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(spec.error().message(), c.message);
  }
}

TEST(InterfaceSpec, DevicePathAloneIsEnough) {
  types::Interface i = iface("eth1", "");
  i.set_devicepath("02/01");
  Result<InterfaceSpec> spec = to_interface_spec(i);
  ASSERT_TRUE(spec.ok());
  EXPECT_FALSE(spec->mac);
  EXPECT_EQ(spec->device_path, "02/01");
}

TEST(InterfaceToProto, ReportsWhatTheLinkIs) {
  Interface in;
  in.link = Link{3, "eth0", "02:42:ac:11:00:02", 1500, IFF_UP | IFF_RUNNING, "veth"};
  in.addresses = {*net::parse_cidr("172.17.0.2/16"), *net::parse_cidr("fe80::1/64")};
  in.device_path = "02/01";
  types::Interface out = to_proto(in);
  EXPECT_EQ(out.name(), "eth0");
  EXPECT_EQ(out.hwaddr(), "02:42:ac:11:00:02");
  EXPECT_EQ(out.mtu(), 1500u);
  EXPECT_EQ(out.type(), "veth");
  EXPECT_EQ(out.raw_flags(), unsigned(IFF_UP | IFF_RUNNING));
  EXPECT_EQ(out.devicepath(), "02/01");
  ASSERT_EQ(out.ipaddresses_size(), 2);
  EXPECT_EQ(out.ipaddresses(1).family(), types::v6);
  EXPECT_EQ(out.ipaddresses(1).address(), "fe80::1");
  EXPECT_EQ(out.ipaddresses(1).mask(), "64");
}

TEST(ToRoute, DefaultRouteSpellings) {
  for (const char* dest : {"", "default", "0.0.0.0", "0.0.0.0/0"}) {
    Result<Route> r = to_route(proto_route(dest, "10.0.0.1", "eth0"));
    ASSERT_TRUE(r.ok()) << dest;
    EXPECT_EQ(describe(*r), "default via 10.0.0.1 dev eth0") << dest;
    EXPECT_EQ(r->family, Family::kV4);
  }
  for (const char* dest : {"", "::", "::/0"}) {
    Result<Route> r = to_route(proto_route(dest, "fd00::1", "eth0"));
    ASSERT_TRUE(r.ok()) << dest;
    EXPECT_EQ(r->family, Family::kV6);
    EXPECT_EQ(to_string(r->dest), "::/0");
  }
}

TEST(ToRoute, FamilyFromAddressesElseFromTheField) {
  types::Route r = proto_route("fd00:1::/64", "", "eth0");
  EXPECT_EQ(to_route(r)->family, Family::kV6);
  r = proto_route("", "", "eth0");
  r.set_family(types::v6);
  EXPECT_EQ(to_route(r)->family, Family::kV6);
  EXPECT_EQ(to_string(to_route(r)->dest), "::/0");
}

TEST(ToRoute, LinkScopeForIpv4RoutesWithoutGateway) {
  EXPECT_EQ(to_route(proto_route("10.0.0.0/24", "", "eth0"))->scope, RT_SCOPE_LINK);
  EXPECT_EQ(to_route(proto_route("10.1.0.0/16", "10.0.0.1", "eth0"))->scope, RT_SCOPE_UNIVERSE);
  EXPECT_EQ(to_route(proto_route("fd00::/64", "", "eth0"))->scope, RT_SCOPE_UNIVERSE);
  types::Route host = proto_route("10.0.0.5/32", "", "eth0");
  host.set_scope(RT_SCOPE_HOST);
  EXPECT_EQ(to_route(host)->scope, RT_SCOPE_HOST);
}

TEST(ToRoute, SourceFlagsAndProtocol) {
  types::Route p = proto_route("10.0.0.0/24", "", "eth0");
  p.set_source("10.0.0.2");
  p.set_flags(RTNH_F_ONLINK | RTNH_F_LINKDOWN);
  Result<Route> r = to_route(p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(to_string(*r->source), "10.0.0.2");
  EXPECT_EQ(r->flags, unsigned(RTNH_F_ONLINK));  // linkdown is the kernel's to report
  EXPECT_EQ(r->protocol, RTPROT_BOOT);
  p.set_source("10.0.0.2/32");
  EXPECT_TRUE(to_route(p).ok());
}

TEST(ToRoute, RejectsMalformedRoutesWithTheRoute) {
  struct Case {
    types::Route in;
    Code code;
    const char* message;
  };
  types::Route src = proto_route("10.0.0.0/24", "", "eth0");
  src.set_source("10.0.0.0/24");
  types::Route scope = proto_route("10.0.0.0/24", "", "eth0");
  scope.set_scope(256);
  std::vector<Case> cases = {
      {proto_route("10.0.0.1/24", "", "eth0"), Code::kInvalidArgument,
       "update route 10.0.0.1/24 dev eth0: destination `10.0.0.1/24` has host bits set"},
      {proto_route("10.0.0.0/33", "", "eth0"), Code::kInvalidArgument,
       "update route 10.0.0.0/33 dev eth0: `10.0.0.0/33`: `33` is not a prefix length (0 to 32)"},
      {proto_route("10.0.0.0/24", "10.0.0.x", "eth0"), Code::kInvalidArgument,
       "update route 10.0.0.0/24 via 10.0.0.x dev eth0: `10.0.0.x` is not an IP address"},
      {proto_route("10.0.0.0/24", "fd00::1", "eth0"), Code::kInvalidArgument,
       "update route 10.0.0.0/24 via fd00::1 dev eth0: mixes IPv4 and IPv6 addresses"},
      {proto_route("10.0.0.0/24", "", ""), Code::kInvalidArgument,
       "update route 10.0.0.0/24 dev : no device"},
      {src, Code::kInvalidArgument,
       "update route 10.0.0.0/24 dev eth0: source `10.0.0.0/24` is a prefix: source routing is "
       "not supported"},
      {scope, Code::kInvalidArgument,
       "update route 10.0.0.0/24 dev eth0: scope 256 is out of range"},
  };
  for (const Case& c : cases) {
    Result<Route> r = to_route(c.in);
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_EQ(r.error().code(), c.code);
    EXPECT_EQ(r.error().message(), c.message);
  }
}

TEST(RoutesToProto, DefaultRouteHasNoDestination) {
  grpc::Routes in;
  *in.add_routes() = proto_route("default", "fd00::1", "eth0");
  *in.add_routes() = proto_route("10.0.0.0/24", "", "eth0");
  in.mutable_routes(1)->set_source("10.0.0.2");
  Result<std::vector<Route>> routes = to_routes(in);
  ASSERT_TRUE(routes.ok());
  grpc::Routes out = to_proto(*routes);
  ASSERT_EQ(out.routes_size(), 2);
  EXPECT_EQ(out.routes(0).dest(), "");
  EXPECT_EQ(out.routes(0).gateway(), "fd00::1");
  EXPECT_EQ(out.routes(0).family(), types::v6);
  EXPECT_EQ(out.routes(1).dest(), "10.0.0.0/24");
  EXPECT_EQ(out.routes(1).source(), "10.0.0.2");
  EXPECT_EQ(out.routes(1).scope(), unsigned(RT_SCOPE_LINK));
  EXPECT_EQ(out.routes(1).device(), "eth0");
}

TEST(ToNeighbours, PermanentUnlessTheHostSaysOtherwise) {
  grpc::ARPNeighbors in;
  types::ARPNeighbor* n = in.add_arpneighbors();
  n->mutable_toipaddress()->set_address("10.0.0.1");
  n->set_lladdr("02:00:00:00:00:0A");
  n->set_device("eth0");
  types::ARPNeighbor* m = in.add_arpneighbors();
  *m = *n;
  m->set_state(NUD_REACHABLE);
  m->set_flags(NTF_ROUTER);
  Result<std::vector<Neighbour>> out = to_neighbours(in);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ((*out)[0].state, NUD_PERMANENT);
  EXPECT_EQ(to_string(*(*out)[0].lladdr), "02:00:00:00:00:0a");
  EXPECT_EQ((*out)[1].state, NUD_REACHABLE);
  EXPECT_EQ((*out)[1].flags, NTF_ROUTER);

  m->set_lladdr("zz");
  Result<std::vector<Neighbour>> bad = to_neighbours(in);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(bad.error().message(), "add neighbour 10.0.0.1 dev eth0: `zz` is not a MAC address");
  m->set_lladdr("");
  m->clear_toipaddress();
  EXPECT_EQ(to_neighbours(in).error().message(), "add neighbour  dev eth0: no IP address");
}

}  // namespace
}  // namespace kata::agent::network
