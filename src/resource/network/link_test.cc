#include "resource/network/link.h"

#include <gtest/gtest.h>
#include <net/if_arp.h>

#include <string>

namespace kata::resource::network {
namespace {

TEST(ClassifyLinkTest, MapsKernelKinds) {
  struct Case {
    const char* kind;
    unsigned arp;
    LinkKind want;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"veth", ARPHRD_ETHER, LinkKind::kVeth},
           {"macvlan", ARPHRD_ETHER, LinkKind::kMacvlan},
           {"ipvlan", ARPHRD_ETHER, LinkKind::kIpvlan},
           {"macvtap", ARPHRD_ETHER, LinkKind::kMacvtap},
           {"tun", ARPHRD_ETHER, LinkKind::kTap},
           {"tun", ARPHRD_NONE, LinkKind::kTun},
           {"bridge", ARPHRD_ETHER, LinkKind::kOther},
           {"", ARPHRD_ETHER, LinkKind::kOther},
           {"Veth", ARPHRD_ETHER, LinkKind::kOther},
       }) {
    EXPECT_EQ(classify_link(c.kind, c.arp), c.want) << c.kind << "/" << c.arp;
  }
  EXPECT_EQ(to_string(LinkKind::kTap), "tap");
  EXPECT_EQ(to_string(LinkKind::kOther), "other");
}

TEST(ValidateIfnameTest, AcceptsKernelNames) {
  for (const char* ok : {"eth0", "tap0_kata", "a", "123456789012345", "veth-1.2"}) {
    EXPECT_TRUE(validate_ifname(ok)) << ok;
  }
}

TEST(ValidateIfnameTest, RefusesWithReason) {
  for (const std::string& bad :
       std::initializer_list<std::string>{"", ".", "..", "1234567890123456", "a/b", "a:1", "a b",
                                          "a\tb", std::string("a\0b", 3)}) {
    auto s = validate_ifname(bad);
    ASSERT_FALSE(s) << bad;
    EXPECT_EQ(s.error().code(), Code::kInvalidArgument);
  }
  EXPECT_EQ(validate_ifname("1234567890123456").error().message(),
            "interface name `1234567890123456`: longer than 15 bytes");
}

}  // namespace
}  // namespace kata::resource::network
