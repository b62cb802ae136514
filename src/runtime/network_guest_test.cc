// The agent calls of the sandbox network, against FakeAgent; and what SandboxNetwork::open
// refuses before it needs any privilege.
#include "runtime/network_guest.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "agent_client/testing/fake_agent.h"
#include "common/net/address.h"
#include "common/testing/temp_dir.h"
#include "runtime/network_convert.h"
#include "runtime/sandbox_network.h"

namespace kata::runtime {
namespace {

namespace host = resource::network;
using agent_client::testing::FakeAgent;
using google::protobuf::util::MessageDifferencer;
using Calls = std::vector<std::string>;

constexpr char kPlaceholder[] = "02:aa:bb:cc:dd:ee";

host::Interface veth(std::string name, std::string mac, std::string address) {
  host::Interface i;
  i.name = std::move(name);
  i.kind = host::LinkKind::kVeth;
  i.mac = std::move(mac);
  i.mtu = 1450;
  i.addresses = {*net::parse_cidr(address)};
  return i;
}

host::Route default_via(std::string gateway) {
  host::Route r;
  r.gateway = *net::parse_ip(gateway);
  r.protocol = 3;  // RTPROT_BOOT, as CNI plugins add them
  return r;
}

types::Interface nic(std::string name, std::string mac) {
  types::Interface n;
  n.set_name(name);
  n.set_device(name);
  n.set_hwaddr(std::move(mac));
  n.set_mtu(1500);
  return n;
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

class NetworkGuestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    eth0_ = veth("eth0", "02:00:00:00:00:10", "10.88.0.2/16");
    eth0_.routes = {default_via("10.88.0.1")};
    eth0_.neighbours = {{*net::parse_ip("10.88.0.1"), "02:00:00:00:00:01", "eth0", 2}};
    eth1_ = veth("eth1", "02:00:00:00:00:11", "192.168.7.2/24");
  }
  FakeAgent agent_;
  host::Interface eth0_, eth1_;
};

TEST_F(NetworkGuestTest, ConfigureSendsEachInterfaceThenAllRoutesThenNeighbours) {
  ASSERT_TRUE(configure_interfaces(agent_, {eth0_, eth1_}));
  EXPECT_EQ(agent_.calls(), (Calls{"update_interface eth0", "update_interface eth1",
                                   "update_routes 1", "add_arp_neighbors 1"}));
  auto updates = agent_.interface_updates();
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_TRUE(MessageDifferencer::Equals(updates[0], to_guest_interface(eth0_)));
  EXPECT_TRUE(MessageDifferencer::Equals(updates[1], to_guest_interface(eth1_)));
  ASSERT_EQ(agent_.route_updates().size(), 1u);
  EXPECT_TRUE(MessageDifferencer::Equals(agent_.route_updates()[0], guest_routes({eth0_, eth1_})));
  ASSERT_EQ(agent_.neighbor_adds().size(), 1u);
  EXPECT_TRUE(
      MessageDifferencer::Equals(agent_.neighbor_adds()[0], guest_neighbours({eth0_, eth1_})));
}

TEST_F(NetworkGuestTest, NothingToSendMakesNoCall) {
  ASSERT_TRUE(configure_interfaces(agent_, {}));
  ASSERT_TRUE(configure_interfaces(agent_, {eth1_}));
  EXPECT_EQ(agent_.calls(), (Calls{"update_interface eth1"})) << "no routes, no neighbours";
}

TEST_F(NetworkGuestTest, ErrorsNameTheInterfaceOrItsRoutesAndStopThere) {
  agent_.fail_update_interface = Code::kNotFound;
  Status failed = configure_interfaces(agent_, {eth0_, eth1_});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), Code::kNotFound);
  EXPECT_TRUE(contains(failed.error().message(),
                       "configure guest interface `eth0` (MAC 02:00:00:00:00:10)"))
      << failed.error().message();
  EXPECT_EQ(agent_.calls(), (Calls{"update_interface eth0"}));

  FakeAgent routes_fail;
  routes_fail.fail_update_routes = Code::kFailedPrecondition;
  failed = configure_interfaces(routes_fail, {eth0_, eth1_});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(contains(failed.error().message(), "configure guest routes of `eth0`, `eth1`"))
      << failed.error().message();

  FakeAgent neighbours_fail;
  neighbours_fail.fail_add_arp_neighbors = Code::kInvalidArgument;
  failed = configure_interfaces(neighbours_fail, {eth0_});
  ASSERT_FALSE(failed);
  EXPECT_TRUE(contains(failed.error().message(), "configure guest neighbours of `eth0`"))
      << failed.error().message();
}

TEST_F(NetworkGuestTest, SpareNicTakesTheLateInterfaceFoundByItsPlaceholderMac) {
  grpc::Interfaces guest;
  *guest.add_interfaces() = nic("lo", "00:00:00:00:00:00");
  *guest.add_interfaces() = nic("ens3", "02:AA:BB:CC:DD:EE");  // any case
  agent_.set_guest_interfaces(guest);

  ASSERT_TRUE(adopt_spare_nic(agent_, kPlaceholder, eth0_));
  EXPECT_EQ(agent_.calls(), (Calls{"list_interfaces", "update_interface eth0", "update_routes 1",
                                   "add_arp_neighbors 1"}));
  types::Interface want = to_guest_interface(eth0_);
  want.set_device("ens3");  // its name now; hwAddr is then the MAC to give it
  ASSERT_EQ(agent_.interface_updates().size(), 1u);
  EXPECT_TRUE(MessageDifferencer::Equals(agent_.interface_updates()[0], want))
      << agent_.interface_updates()[0].DebugString();
  types::Interface now = agent_.guest_interfaces().interfaces(1);
  EXPECT_EQ(now.name(), "eth0");
  EXPECT_EQ(now.hwaddr(), "02:00:00:00:00:10");
  EXPECT_EQ(now.mtu(), 1450u);

  // Again (say the routes had failed): the NIC is found by the MAC it took.
  ASSERT_TRUE(adopt_spare_nic(agent_, kPlaceholder, eth0_));
  ASSERT_EQ(agent_.interface_updates().size(), 2u);
  EXPECT_EQ(agent_.interface_updates()[1].device(), "eth0");
}

TEST_F(NetworkGuestTest, SpareNicMissingOrListFailing) {
  grpc::Interfaces guest;
  *guest.add_interfaces() = nic("eth0", "02:00:00:00:00:99");
  agent_.set_guest_interfaces(guest);
  Status missing = adopt_spare_nic(agent_, kPlaceholder, eth0_);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
  EXPECT_TRUE(contains(missing.error().message(), "attach interface `eth0`"))
      << missing.error().message();
  EXPECT_TRUE(
      contains(missing.error().message(), std::string("no guest NIC has MAC ") + kPlaceholder))
      << missing.error().message();
  EXPECT_EQ(agent_.calls(), (Calls{"list_interfaces"}));

  FakeAgent broken;
  broken.fail_list_interfaces = Code::kUnavailable;
  Status failed = adopt_spare_nic(broken, kPlaceholder, eth0_);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), Code::kUnavailable);
  EXPECT_TRUE(contains(failed.error().message(), "list guest interfaces"))
      << failed.error().message();
}

// ---- SandboxNetwork::open: what it refuses before touching any namespace ----

TEST(SandboxNetworkOpenTest, MacvtapIsUnimplemented) {
  auto opened = SandboxNetwork::open({"", config::InterNetworkingModel::kMacvtap});
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Code::kUnimplemented);
  EXPECT_TRUE(contains(opened.error().message(), "macvtap")) << opened.error().message();
  EXPECT_TRUE(contains(opened.error().message(), "tcfilter")) << opened.error().message();
}

TEST(SandboxNetworkOpenTest, RefusesWhatIsNotANetworkNamespace) {
  kata::testing::TempDir dir;
  std::string file = dir.path() + "/netns";
  std::ofstream(file) << "not a namespace";

  auto regular = SandboxNetwork::open({file});
  ASSERT_FALSE(regular);
  EXPECT_EQ(regular.error().code(), Code::kInvalidArgument);
  EXPECT_TRUE(contains(regular.error().message(), "`" + file + "`: not a namespace file"))
      << regular.error().message();

  auto mount_ns = SandboxNetwork::open({"/proc/self/ns/mnt"});
  ASSERT_FALSE(mount_ns);
  EXPECT_EQ(mount_ns.error().code(), Code::kInvalidArgument);
  EXPECT_TRUE(contains(mount_ns.error().message(), "a mount namespace, not a network namespace"))
      << mount_ns.error().message();

  auto missing = SandboxNetwork::open({dir.path() + "/gone"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound) << missing.error().message();
}

}  // namespace
}  // namespace kata::runtime
