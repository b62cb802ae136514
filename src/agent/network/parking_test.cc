#include "agent/network/parking.h"

#include <gtest/gtest.h>
#include <net/if.h>

#include "agent/network/interfaces.h"
#include "agent/testing/fake_guest_network.h"
#include "common/net/address.h"

namespace kata::agent::network {
namespace {

using namespace std::chrono_literals;
using testing::FakeGuestNetwork;

constexpr char kSpareMac[] = "02:fc:00:00:00:01";

class Parking : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.add_link("lo", "00:00:00:00:00:00", true);
    fake_.add_link("eth0", kSpareMac);
  }
  FakeGuestNetwork fake_;
};

TEST_F(Parking, TheSpareLeavesTheContainersNamespaceButIsStillListed) {
  ASSERT_TRUE(park_nics(fake_, {"02:FC:00:00:00:01"}, 0ms).ok());
  EXPECT_EQ(fake_.link("eth0"), nullptr);
  ASSERT_EQ(fake_.parked.size(), 1u);
  Result<std::vector<Interface>> listed = list_interfaces(fake_);
  ASSERT_TRUE(listed.ok()) << listed.error().message();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].link.name, "eth0");
  EXPECT_EQ((*listed)[1].link.hw_addr, kSpareMac);
}

TEST_F(Parking, UpdateInterfaceByNameBringsTheSpareBackConfigured) {
  ASSERT_TRUE(park_nics(fake_, {kSpareMac}, 0ms).ok());
  InterfaceSpec spec;
  spec.name = "eth0";
  spec.device = "eth0";
  spec.mac = *net::parse_mac("0a:58:0a:63:07:02");  // the late veth's
  spec.mtu = 1450;
  spec.addresses = {*net::parse_cidr("10.99.7.2/24")};
  Result<Interface> iface = update_interface(fake_, spec);
  ASSERT_TRUE(iface.ok()) << iface.error().message();
  EXPECT_TRUE(fake_.parked.empty());
  EXPECT_EQ(iface->link.hw_addr, "0a:58:0a:63:07:02");
  EXPECT_EQ(iface->link.mtu, 1450u);
  EXPECT_TRUE(iface->link.flags & IFF_UP);
  EXPECT_EQ(iface->addresses, spec.addresses);
}

TEST_F(Parking, ANicThatIsNotThereIsReportedAndTheOthersStillParked) {
  Result<void> parked = park_nics(fake_, {"02:fc:00:00:00:09", kSpareMac, "zz"}, 0ms);
  ASSERT_FALSE(parked.ok());
  EXPECT_NE(parked.error().message().find("02:fc:00:00:00:09"), std::string::npos)
      << parked.error().message();
  EXPECT_NE(parked.error().message().find("zz"), std::string::npos) << parked.error().message();
  EXPECT_EQ(fake_.parked.size(), 1u);
}

TEST_F(Parking, AnUnknownNameIsNotFoundAndUnparksNothing) {
  ASSERT_TRUE(park_nics(fake_, {kSpareMac}, 0ms).ok());
  InterfaceSpec spec;
  spec.device = "eth7";
  Result<Interface> iface = update_interface(fake_, spec);
  ASSERT_FALSE(iface.ok());
  EXPECT_EQ(iface.error().code(), Code::kNotFound);
  EXPECT_EQ(fake_.parked.size(), 1u);
}

}  // namespace
}  // namespace kata::agent::network
