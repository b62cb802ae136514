#include "common/net/address.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace kata::net {
namespace {

TEST(ParseIp, AcceptsBothFamiliesAndPrintsThemCanonically) {
  struct Case {
    const char* text;
    Family family;
    const char* printed;
  } cases[] = {
      {"10.0.0.1", Family::kV4, "10.0.0.1"},
      {"0.0.0.0", Family::kV4, "0.0.0.0"},
      {"fd00::1", Family::kV6, "fd00::1"},
      {"FD00:0:0::0001", Family::kV6, "fd00::1"},
      {"::ffff:10.0.0.1", Family::kV6, "::ffff:10.0.0.1"},
  };
  for (const Case& c : cases) {
    Result<IpAddress> ip = parse_ip(c.text);
    ASSERT_TRUE(ip.ok()) << c.text;
    EXPECT_EQ(ip->family, c.family) << c.text;
    EXPECT_EQ(to_string(*ip), c.printed);
  }
}

TEST(ParseIp, RejectsWhatIsNotExactlyOneAddress) {
  for (const char* text : {"", "10.0.0", "10.0.0.256", "10.0.0.1/24", " 10.0.0.1", "010.0.0.1",
                           "fe80::1%eth0", "fd00:::1", "eth0"}) {
    Result<IpAddress> ip = parse_ip(text);
    ASSERT_FALSE(ip.ok()) << text;
    EXPECT_EQ(ip.error().code(), Code::kInvalidArgument);
    EXPECT_NE(ip.error().message().find(std::string("`") + text + "`"), std::string::npos);
  }
}

TEST(ParsePrefixLen, BoundsDependOnFamily) {
  EXPECT_EQ(*parse_prefix_len("0", Family::kV4), 0);
  EXPECT_EQ(*parse_prefix_len("32", Family::kV4), 32);
  EXPECT_EQ(*parse_prefix_len("128", Family::kV6), 128);
  for (const char* bad : {"33", "-1", "", "24 ", "0x10", "24/"}) {
    Result<int> len = parse_prefix_len(bad, Family::kV4);
    ASSERT_FALSE(len.ok()) << bad;
    EXPECT_EQ(len.error().code(), Code::kInvalidArgument);
  }
  EXPECT_FALSE(parse_prefix_len("129", Family::kV6).ok());
}

TEST(ParseCidr, AcceptsAndNormalises) {
  struct Case {
    const char* in;
    Family family;
    const char* printed;
    bool link_local;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"10.0.0.2/24", Family::kV4, "10.0.0.2/24", false},
           {"10.0.0.5", Family::kV4, "10.0.0.5/32", false},  // bare: a host prefix
           {"0.0.0.0/0", Family::kV4, "0.0.0.0/0", false},
           {"169.254.1.1/32", Family::kV4, "169.254.1.1/32", false},  // Calico's: kept
           {"FD00:0::2/64", Family::kV6, "fd00::2/64", false},
           {"fd00::/64", Family::kV6, "fd00::/64", false},
           {"::/0", Family::kV6, "::/0", false},
           {"fe80::1/64", Family::kV6, "fe80::1/64", true},
           {"febf::1/64", Family::kV6, "febf::1/64", true},
           {"fec0::1/64", Family::kV6, "fec0::1/64", false},
           {"2001:db8::1", Family::kV6, "2001:db8::1/128", false},
       }) {
    Result<IpNet> net = parse_cidr(c.in);
    ASSERT_TRUE(net) << c.in << ": " << net.error().message();
    EXPECT_EQ(net->address.family, c.family) << c.in;
    EXPECT_EQ(to_string(*net), c.printed);
    EXPECT_EQ(is_link_local(net->address), c.link_local) << c.in;
  }
}

TEST(ParseCidr, RefusesMalformed) {
  for (const char* bad :
       {"", "/24", "/8", "10.0.0.2/", "10.0.0.2/33", "10.0.0.2/-1", "10.0.0.2/2x", "10.0.0.256/8",
        "10.0.0/8", "fd00::2/129", "fd00:::2/64", "host/8", " 10.0.0.2/8"}) {
    Result<IpNet> net = parse_cidr(bad);
    ASSERT_FALSE(net) << bad;
    EXPECT_EQ(net.error().code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_EQ(parse_cidr("10.0.0.2/33").error().message(),
            "`10.0.0.2/33`: `33` is not a prefix length (0 to 32)");
}

TEST(FromBytes, ChecksLengthAndPrefix) {
  std::array<uint8_t, 4> v4{192, 168, 1, 7};
  Result<IpAddress> a = ip_from_bytes(Family::kV4, v4);
  ASSERT_TRUE(a);
  EXPECT_EQ(to_string(*make_net(*a, 24)), "192.168.1.7/24");

  std::array<uint8_t, 16> ll{0xfe, 0x80};
  ll[15] = 1;
  Result<IpAddress> b = ip_from_bytes(Family::kV6, ll);
  ASSERT_TRUE(b);
  EXPECT_EQ(to_string(*make_net(*b, 64)), "fe80::1/64");
  EXPECT_TRUE(is_link_local(*b));
  EXPECT_EQ(b->view().size(), 16u);

  EXPECT_EQ(ip_from_bytes(Family::kV6, v4).error().message(), "ipv6 address of 4 bytes");
  EXPECT_FALSE(ip_from_bytes(Family::kV4, ll));
  EXPECT_TRUE(make_net(*a, 0));
  EXPECT_TRUE(make_net(*b, 128));
  EXPECT_EQ(make_net(*a, 33).error().message(), "ipv4 prefix length 33 out of range");
  EXPECT_FALSE(make_net(*b, 129));
  EXPECT_FALSE(make_net(*b, -1));
}

TEST(ParseMac, SixPairsOfHexDigitsEitherCase) {
  Result<MacAddress> mac = parse_mac("02:AB:cd:00:11:ff");
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(mac->bytes, (std::array<uint8_t, 6>{0x02, 0xab, 0xcd, 0x00, 0x11, 0xff}));
  EXPECT_EQ(to_string(*mac), "02:ab:cd:00:11:ff");
  for (const char* bad :
       {"", "02:ab:cd:00:11", "02:ab:cd:00:11:ff:00", "2:ab:cd:00:11:ff", "2:42:ac:11:00:002",
        "+2:42:ac:11:00:02", "02-ab-cd-00-11-ff", "02:ab:cd:00:11:fg", "02:ab:cd:00:11:ff "}) {
    Result<MacAddress> m = parse_mac(bad);
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.error().code(), Code::kInvalidArgument);
  }
}

TEST(FormatHwAddr, AnyLengthLowerCase) {
  EXPECT_EQ(format_hw_addr(std::vector<uint8_t>{}), "") << "a tun device has none";
  EXPECT_EQ(format_hw_addr(std::vector<uint8_t>{0x02, 0x42, 0xAC, 0x11, 0x00, 0x02}),
            "02:42:ac:11:00:02");
  EXPECT_EQ(format_hw_addr(std::vector<uint8_t>{0x0a, 0x00, 0x00, 0x01}), "0a:00:00:01");
}

TEST(Prefixes, MaskAndContain) {
  IpNet net = *parse_cidr("10.1.2.3/20");
  EXPECT_EQ(to_string(masked(net)), "10.1.0.0/20");
  EXPECT_TRUE(contains(net, *parse_ip("10.1.15.255")));
  EXPECT_FALSE(contains(net, *parse_ip("10.1.16.0")));
  EXPECT_FALSE(contains(net, *parse_ip("fd00::1")));
  EXPECT_TRUE(contains(*parse_cidr("0.0.0.0/0"), *parse_ip("192.0.2.1")));
  EXPECT_EQ(to_string(masked(*parse_cidr("fd00:1:2:3::9/61"))), "fd00:1:2::/61");
  EXPECT_EQ(to_string(unspecified(Family::kV4)), "0.0.0.0");
  EXPECT_EQ(to_string(unspecified(Family::kV6)), "::");
  EXPECT_TRUE(is_link_local(*parse_ip("fe80::1")));
  EXPECT_TRUE(is_link_local(*parse_ip("febf::1")));
  EXPECT_FALSE(is_link_local(*parse_ip("fec0::1")));
  EXPECT_FALSE(is_link_local(*parse_ip("169.254.1.1")));
}

}  // namespace
}  // namespace kata::net
