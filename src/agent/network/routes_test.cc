#include "agent/network/routes.h"

#include <gtest/gtest.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "agent/network/neighbours.h"
#include "agent/testing/fake_guest_network.h"
#include "common/net/address.h"

namespace kata::agent::network {
namespace {

using testing::FakeGuestNetwork;

// A route as convert.h makes it from the host's message.
Route route(const char* dest, const char* gateway, const char* device) {
  Route r;
  r.dest = dest ? *net::parse_cidr(dest) : IpNet{};
  if (gateway) r.gateway = *net::parse_ip(gateway);
  r.family = (dest ? r.dest.address : *r.gateway).family;
  if (!dest) r.dest = IpNet{net::unspecified(r.family), 0};
  r.device = device;
  r.scope = r.gateway || r.family == Family::kV6 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  return r;
}

std::vector<std::string> described(const std::vector<Route>& routes) {
  std::vector<std::string> out;
  for (const Route& r : routes) out.push_back(describe(r));
  return out;
}

TEST(InstallOrder, LinkRoutesThenGatewaysThenDefaults) {
  std::vector<Route> in = {
      route(nullptr, "10.0.0.1", "eth0"),       route("10.2.0.0/16", "10.0.0.1", "eth0"),
      route("10.0.0.0/24", nullptr, "eth0"),    route(nullptr, "fd00::1", "eth0"),
      route("10.3.0.0/16", "10.0.0.1", "eth0"), route("fd00::/64", nullptr, "eth0")};
  EXPECT_EQ(described(install_order(in)),
            (std::vector<std::string>{
                "10.0.0.0/24 dev eth0", "fd00::/64 dev eth0", "10.2.0.0/16 via 10.0.0.1 dev eth0",
                "10.3.0.0/16 via 10.0.0.1 dev eth0", "default via 10.0.0.1 dev eth0",
                "default via fd00::1 dev eth0"}));
}

class UpdateRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    eth0_ = fake_.add_link("eth0", "02:00:00:00:00:01", /*up=*/true);
    eth1_ = fake_.add_link("eth1", "02:00:00:00:00:02", /*up=*/true);
  }
  FakeGuestNetwork fake_;
  int eth0_ = 0, eth1_ = 0;
};

TEST_F(UpdateRoutes, GatewayRouteNeedsItsLinkRouteFirst) {
  // In the order a host may send them: the default route first.
  Result<std::vector<Route>> now = update_routes(
      fake_, {route(nullptr, "10.0.0.1", "eth0"), route("10.0.0.0/24", nullptr, "eth0")});
  ASSERT_TRUE(now.ok()) << now.error().message();
  EXPECT_EQ(described(*now),
            (std::vector<std::string>{"10.0.0.0/24 dev eth0", "default via 10.0.0.1 dev eth0"}));
  EXPECT_EQ((*now)[1].link_index, eth0_);
}

TEST_F(UpdateRoutes, UnreachableGatewayIsNamedWithTheRoute) {
  Result<std::vector<Route>> now = update_routes(fake_, {route("10.0.0.0/24", "10.0.0.1", "eth0")});
  ASSERT_FALSE(now.ok());
  EXPECT_EQ(now.error().message(),
            "update route 10.0.0.0/24 via 10.0.0.1 dev eth0: Network is unreachable");
  EXPECT_EQ(now.error().code(), Code::kFailedPrecondition);
}

TEST_F(UpdateRoutes, OnlinkGatewayNeedsNoLinkRoute) {
  Route r = route(nullptr, "169.254.1.1", "eth0");
  r.flags = RTNH_F_ONLINK;
  ASSERT_TRUE(update_routes(fake_, {r}).ok());
}

TEST_F(UpdateRoutes, ReplacesTheRoutesOfNamedLinksOnly) {
  fake_.addresses = {{eth0_, *net::parse_cidr("10.0.0.2/24")}};
  ASSERT_TRUE(update_routes(fake_, {route("10.5.0.0/16", "10.0.0.1", "eth0"),
                                    route("10.6.0.0/16", nullptr, "eth1")})
                  .ok());
  Result<std::vector<Route>> now = update_routes(fake_, {route("10.7.0.0/16", "10.0.0.1", "eth0")});
  ASSERT_TRUE(now.ok()) << now.error().message();
  // The kernel's prefix route stays, eth1's route too; eth0's old one is gone.
  EXPECT_EQ(described(*now),
            (std::vector<std::string>{"10.0.0.0/24 dev eth0 src 10.0.0.2", "10.6.0.0/16 dev eth1",
                                      "10.7.0.0/16 via 10.0.0.1 dev eth0"}));
}

TEST_F(UpdateRoutes, RouteTheKernelAlreadyHasIsAccepted) {
  fake_.addresses = {{eth0_, *net::parse_cidr("10.0.0.2/24")}};
  ASSERT_TRUE(update_routes(fake_, {route("10.0.0.0/24", nullptr, "eth0")}).ok());
  // The same prefix on another link is a real conflict.
  Result<std::vector<Route>> clash = update_routes(fake_, {route("10.0.0.0/24", nullptr, "eth1")});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().code(), Code::kAlreadyExists);
  EXPECT_EQ(clash.error().message(), "update route 10.0.0.0/24 dev eth1: File exists");
}

TEST_F(UpdateRoutes, UnknownDeviceIsNotFoundAndChangesNothing) {
  ASSERT_TRUE(update_routes(fake_, {route("10.6.0.0/16", nullptr, "eth1")}).ok());
  Result<std::vector<Route>> now = update_routes(
      fake_, {route("10.8.0.0/16", nullptr, "eth1"), route("10.9.0.0/16", nullptr, "eth9")});
  ASSERT_FALSE(now.ok());
  EXPECT_EQ(now.error().code(), Code::kNotFound);
  EXPECT_EQ(now.error().message(), "update route 10.9.0.0/16 dev eth9: no link named `eth9`");
  EXPECT_EQ(described(fake_.routes), std::vector<std::string>{"10.6.0.0/16 dev eth1"});
}

TEST_F(UpdateRoutes, DownLinkRefusesRoutes) {
  fake_.link("eth1")->flags = 0;
  Result<std::vector<Route>> now = update_routes(fake_, {route("10.6.0.0/16", nullptr, "eth1")});
  ASSERT_FALSE(now.ok());
  EXPECT_EQ(now.error().message(), "update route 10.6.0.0/16 dev eth1: Network is down");
}

TEST(AddNeighbours, AddsAndReplacesPerAddressAndLink) {
  FakeGuestNetwork fake;
  int eth0 = fake.add_link("eth0", "02:00:00:00:00:01");
  Neighbour n;
  n.ip = *net::parse_ip("10.0.0.1");
  n.lladdr = *net::parse_mac("02:00:00:00:00:0a");
  n.device = "eth0";
  n.state = NUD_PERMANENT;
  Neighbour again = n;
  again.lladdr = *net::parse_mac("02:00:00:00:00:0b");
  ASSERT_TRUE(add_neighbours(fake, {n, again}).ok());
  ASSERT_EQ(fake.neighbours.size(), 1u);
  EXPECT_EQ(fake.neighbours[0].link_index, eth0);
  EXPECT_EQ(to_string(*fake.neighbours[0].lladdr), "02:00:00:00:00:0b");

  n.device = "eth7";
  Result<void> missing = add_neighbours(fake, {n});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
  EXPECT_EQ(missing.error().message(),
            "add neighbour 10.0.0.1 lladdr 02:00:00:00:00:0a dev eth7: no link named `eth7`");
}

}  // namespace
}  // namespace kata::agent::network
