#include "agent/network/interfaces.h"

#include <gtest/gtest.h>
#include <net/if.h>

#include "agent/testing/fake_guest_network.h"
#include "common/net/address.h"

namespace kata::agent::network {
namespace {

using testing::FakeGuestNetwork;

IpNet net(const char* cidr) { return *net::parse_cidr(cidr); }
MacAddress mac(const char* text) { return *net::parse_mac(text); }

class UpdateInterface : public ::testing::Test {
 protected:
  void SetUp() override {
    lo_ = fake_.add_link("lo", "00:00:00:00:00:00");
    nic_ = fake_.add_link("eth0", "02:00:00:00:00:01");
  }
  InterfaceSpec spec(const std::string& name, const char* hw) {
    InterfaceSpec s;
    s.name = name;
    if (hw != nullptr) s.mac = mac(hw);
    return s;
  }
  std::vector<IpNet> addresses_of(int index) {
    std::vector<IpNet> out;
    for (const Address& a : fake_.addresses) {
      if (a.link_index == index) out.push_back(a.local);
    }
    return out;
  }
  FakeGuestNetwork fake_;
  int lo_ = 0, nic_ = 0;
};

TEST(BringLoUp, UpsADownLoAndLeavesAnUpOneAlone) {
  FakeGuestNetwork fake;
  fake.add_link("lo", "00:00:00:00:00:00");
  fake.add_link("eth0", "02:00:00:00:00:01");
  ASSERT_TRUE(bring_lo_up(fake).ok());
  EXPECT_TRUE(fake.link("lo")->flags & IFF_UP);
  EXPECT_FALSE(fake.link("eth0")->flags & IFF_UP);
  ASSERT_TRUE(bring_lo_up(fake).ok());
  EXPECT_EQ(fake.calls, std::vector<std::string>{"up lo"});
}

TEST_F(UpdateInterface, FindsTheNicByMacAndConfiguresIt) {
  InterfaceSpec s = spec("eth0", "02:00:00:00:00:01");
  s.mtu = 1400;
  s.addresses = {net("10.0.0.2/24"), net("fd00::2/64")};
  Result<Interface> iface = update_interface(fake_, s);
  ASSERT_TRUE(iface.ok()) << iface.error().message();
  EXPECT_EQ(iface->link.index, nic_);
  EXPECT_EQ(iface->link.mtu, 1400u);
  EXPECT_TRUE(iface->link.flags & IFF_UP);
  EXPECT_EQ(iface->addresses, s.addresses);
  EXPECT_TRUE(fake_.link("lo")->flags & IFF_UP);
  // Neither rename nor new MAC: the link never went down.
  EXPECT_EQ(fake_.calls, (std::vector<std::string>{"mtu eth0 1400", "add 10.0.0.2/24",
                                                   "add fd00::2/64", "up eth0", "up lo"}));
}

TEST_F(UpdateInterface, RenamesWithTheLinkDown) {
  fake_.link("eth0")->flags |= IFF_UP;
  Result<Interface> iface = update_interface(fake_, spec("net1", "02:00:00:00:00:01"));
  ASSERT_TRUE(iface.ok()) << iface.error().message();
  EXPECT_EQ(iface->link.name, "net1");
  EXPECT_EQ(fake_.calls,
            (std::vector<std::string>{"down eth0", "name eth0 net1", "up net1", "up lo"}));
}

TEST_F(UpdateInterface, SwapsNamesWithALinkThatHoldsTheWantedOne) {
  int other = fake_.add_link("eth1", "02:00:00:00:00:02", /*up=*/true);
  Result<Interface> iface = update_interface(fake_, spec("eth1", "02:00:00:00:00:01"));
  ASSERT_TRUE(iface.ok()) << iface.error().message();
  EXPECT_EQ(fake_.link("eth1")->index, nic_);
  EXPECT_EQ(fake_.link("eth0")->index, other);
  EXPECT_TRUE(fake_.link("eth0")->flags & IFF_UP);  // as it was
}

TEST_F(UpdateInterface, FindsByDevicePathAndSetsTheNewMac) {
  fake_.link("eth0")->flags |= IFF_UP;
  fake_.device_paths["02/01"] = {"eth0"};
  InterfaceSpec s = spec("eth0", "02:00:00:00:00:aa");
  s.device_path = "02/01";
  Result<Interface> iface = update_interface(fake_, s);
  ASSERT_TRUE(iface.ok()) << iface.error().message();
  EXPECT_EQ(iface->link.hw_addr, "02:00:00:00:00:aa");
  EXPECT_EQ(iface->device_path, "02/01");
  EXPECT_EQ(fake_.calls, (std::vector<std::string>{"down eth0", "mac eth0 02:00:00:00:00:aa",
                                                   "up eth0", "up lo"}));
}

// A NIC provisioned at boot, before the host knew the MAC it must carry: the host
// names it as ListInterfaces showed it.
TEST_F(UpdateInterface, FindsByCurrentNameAndSetsTheNewMac) {
  fake_.link("eth0")->flags |= IFF_UP;
  InterfaceSpec s = spec("eth1", "02:00:00:00:00:cc");
  s.device = "eth0";
  Result<Interface> iface = update_interface(fake_, s);
  ASSERT_TRUE(iface.ok()) << iface.error().message();
  EXPECT_EQ(iface->link.hw_addr, "02:00:00:00:00:cc");
  EXPECT_EQ(iface->link.name, "eth1");

  s.device = "eth7";
  s.mac = mac("02:00:00:00:00:dd");
  Result<Interface> missing = update_interface(fake_, s);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(),
            "update interface eth1: no link with MAC 02:00:00:00:00:dd or named eth7");
}

TEST_F(UpdateInterface, WaitsForAHotPluggedNic) {
  fake_.device_paths["05"] = {"eth0"};
  fake_.device_path_misses = 2;
  InterfaceSpec s = spec("eth0", "02:00:00:00:00:bb");
  s.device_path = "05";
  Result<Interface> iface = update_interface(fake_, s, std::chrono::seconds(10));
  ASSERT_TRUE(iface.ok()) << iface.error().message();
  EXPECT_EQ(fake_.device_path_misses, 0);
}

TEST_F(UpdateInterface, NoSuchNicIsNotFound) {
  InterfaceSpec s = spec("eth0", "02:00:00:00:00:99");
  s.device_path = "07";
  Result<Interface> iface = update_interface(fake_, s);
  ASSERT_FALSE(iface.ok());
  EXPECT_EQ(iface.error().code(), Code::kNotFound);
  EXPECT_EQ(iface.error().message(),
            "update interface eth0: no link with MAC 02:00:00:00:00:99 or at device path `07`");
  EXPECT_TRUE(fake_.calls.empty());
}

TEST_F(UpdateInterface, ReplacesAddressesButKeepsThoseAskedForAgain) {
  fake_.addresses = {{nic_, net("10.0.0.2/24")},
                     {nic_, net("10.0.9.9/16")},
                     {nic_, net("fe80::1/64")},
                     {lo_, net("127.0.0.1/8")}};
  InterfaceSpec s = spec("eth0", "02:00:00:00:00:01");
  s.addresses = {net("10.0.0.2/24"), net("10.0.9.9/24")};
  ASSERT_TRUE(update_interface(fake_, s).ok());
  // The kernel's link-local address stays: the host listed none.
  EXPECT_EQ(addresses_of(nic_),
            (std::vector<IpNet>{net("10.0.0.2/24"), net("fe80::1/64"), net("10.0.9.9/24")}));
  EXPECT_EQ(addresses_of(lo_), std::vector<IpNet>{net("127.0.0.1/8")});
  EXPECT_EQ(fake_.calls[0], "delete 10.0.9.9/16");
}

TEST_F(UpdateInterface, HostLinkLocalAddressesReplaceTheKernels) {
  fake_.addresses = {{nic_, net("fe80::1/64")}};
  InterfaceSpec s = spec("eth0", "02:00:00:00:00:01");
  s.addresses = {net("fe80::2/64")};
  ASSERT_TRUE(update_interface(fake_, s).ok());
  EXPECT_EQ(addresses_of(nic_), std::vector<IpNet>{net("fe80::2/64")});
}

TEST_F(UpdateInterface, ArpFollowsRawFlags) {
  InterfaceSpec s = spec("eth0", "02:00:00:00:00:01");
  s.arp = false;
  ASSERT_TRUE(update_interface(fake_, s).ok());
  EXPECT_TRUE(fake_.link("eth0")->flags & IFF_NOARP);
  s.arp = true;
  ASSERT_TRUE(update_interface(fake_, s).ok());
  EXPECT_FALSE(fake_.link("eth0")->flags & IFF_NOARP);
}

TEST_F(UpdateInterface, KernelRefusalNamesTheInterfaceAndTheStep) {
  fake_.fail_add_address_errno = EADDRNOTAVAIL;
  InterfaceSpec s = spec("eth0", "02:00:00:00:00:01");
  s.addresses = {net("10.0.0.2/24")};
  Result<Interface> iface = update_interface(fake_, s);
  ASSERT_FALSE(iface.ok());
  EXPECT_EQ(iface.error().message(),
            "update interface eth0: add address 10.0.0.2/24: Cannot assign requested address");
  EXPECT_EQ(iface.error().sys_errno(), EADDRNOTAVAIL);
}

TEST(ListInterfaces, EveryLinkWithItsAddressesLoIncluded) {
  FakeGuestNetwork fake;
  int lo = fake.add_link("lo", "00:00:00:00:00:00", true);
  int eth = fake.add_link("eth0", "02:00:00:00:00:01");
  fake.addresses = {{eth, net("10.0.0.2/24")}, {lo, net("127.0.0.1/8")}};
  Result<std::vector<Interface>> all = list_interfaces(fake);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].link.name, "lo");
  EXPECT_EQ((*all)[0].addresses, std::vector<IpNet>{net("127.0.0.1/8")});
  EXPECT_EQ((*all)[1].addresses, std::vector<IpNet>{net("10.0.0.2/24")});
}

}  // namespace
}  // namespace kata::agent::network
