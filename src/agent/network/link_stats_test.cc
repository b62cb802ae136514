#include "agent/network/link_stats.h"

#include <gtest/gtest.h>

#include "common/fs.h"
#include "common/testing/temp_dir.h"

namespace kata::agent::network {
namespace {

// As a 6.1 kernel prints it: two header lines, then one line per interface.
constexpr char kHeader[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n";
constexpr char kLo[] =
    "    lo:   19239     183    0    0    0     0          0         0    19239     183    0    "
    "0    0     0       0          0\n";
constexpr char kEth0[] =
    "  eth0:  123456     789    1    2    3     4          5         6    65432     321    7    "
    "8    9    10      11         12\n";

LinkStats eth0() {
  LinkStats l;
  l.name = "eth0";
  l.rx_bytes = 123456;
  l.rx_packets = 789;
  l.rx_errors = 1;
  l.rx_dropped = 2;
  l.tx_bytes = 65432;
  l.tx_packets = 321;
  l.tx_errors = 7;
  l.tx_dropped = 8;
  return l;
}

TEST(ParseProcNetDev, ReadsEveryInterfaceInOrder) {
  Result<std::vector<LinkStats>> links = parse_proc_net_dev(std::string(kHeader) + kLo + kEth0);
  ASSERT_TRUE(links) << links.error().message();
  ASSERT_EQ(links->size(), 2u);
  EXPECT_EQ((*links)[0].name, "lo");
  EXPECT_EQ((*links)[0].rx_bytes, 19239u);
  EXPECT_EQ((*links)[0].tx_packets, 183u);
  EXPECT_EQ((*links)[1], eth0()) << "rx columns 0-3, tx columns 8-11; fifo, frame... ignored";
}

TEST(ParseProcNetDev, Boundaries) {
  struct Case {
    const char* name;
    std::string text;
    std::vector<std::string> names;
    uint64_t first_rx_bytes;
  };
  const std::vector<Case> cases = {
      {"empty text", "", {}, 0},
      {"headers only", kHeader, {}, 0},
      {"no trailing newline", "eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", {"eth0"}, 1},
      {"counter touching the colon",
       "eth0:98765432101 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
       {"eth0"},
       98765432101u},
      {"largest counter",
       "eth0: 18446744073709551615 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
       {"eth0"},
       UINT64_MAX},
      {"names with dots and dashes",
       "veth-a.1: 7 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
       "eth0@x: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
       {"veth-a.1", "eth0@x"},
       7},
  };
  for (const Case& c : cases) {
    Result<std::vector<LinkStats>> links = parse_proc_net_dev(c.text);
    ASSERT_TRUE(links) << c.name << ": " << links.error().message();
    std::vector<std::string> names;
    for (const LinkStats& l : *links) names.push_back(l.name);
    EXPECT_EQ(names, c.names) << c.name;
    if (!links->empty()) {
      EXPECT_EQ(links->front().rx_bytes, c.first_rx_bytes) << c.name;
    }
  }
}

TEST(ParseProcNetDev, MalformedLinesNameTheLine) {
  struct Case {
    const char* name;
    std::string line;
    const char* why;
  };
  const std::vector<Case> cases = {
      {"no colon", "eth0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", "no `name:`"},
      {"empty name", ": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", "empty interface name"},
      {"too few counters", "eth0: 1 2 3 4 5 6 7 8 9 10 11", "11 counters, want 16"},
      {"not a number", "eth0: 1 2 3 x 5 6 7 8 9 10 11 12 13 14 15 16", "counter `x`"},
      {"negative", "eth0: -1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", "counter `-1`"},
      {"overflow", "eth0: 18446744073709551616 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
       "counter `18446744073709551616`"},
      {"trailing junk", "eth0: 1 2 3 4 5k 6 7 8 9 10 11 12 13 14 15 16", "counter `5k`"},
  };
  for (const Case& c : cases) {
    Result<std::vector<LinkStats>> links = parse_proc_net_dev(std::string(kHeader) + c.line);
    ASSERT_FALSE(links) << c.name;
    EXPECT_EQ(links.error().code(), Code::kInvalidArgument) << c.name;
    EXPECT_NE(links.error().message().find(c.why), std::string::npos)
        << c.name << ": " << links.error().message();
    EXPECT_NE(links.error().message().find("line `" + c.line + "`"), std::string::npos)
        << c.name << ": " << links.error().message();
  }
}

TEST(ReadLinkStats, DropsLoopbackOnly) {
  kata::testing::TempDir dir;
  std::string path = dir.path() + "/dev";
  ASSERT_TRUE(fs::write_file_atomic(path, std::string(kHeader) + kLo + kEth0).ok());
  Result<std::vector<LinkStats>> links = read_link_stats(path);
  ASSERT_TRUE(links) << links.error().message();
  ASSERT_EQ(links->size(), 1u);
  EXPECT_EQ(links->front(), eth0());
}

TEST(ReadLinkStats, ErrorsNameTheFile) {
  kata::testing::TempDir dir;
  Result<std::vector<LinkStats>> missing = read_link_stats(dir.path() + "/nope");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find(dir.path() + "/nope"), std::string::npos)
      << missing.error().message();

  std::string path = dir.path() + "/dev";
  ASSERT_TRUE(fs::write_file_atomic(path, "garbage\n").ok());
  Result<std::vector<LinkStats>> bad = read_link_stats(path);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.error().message().find(path), std::string::npos) << bad.error().message();
}

TEST(ReadLinkStats, ReadsThisNamespace) {
  // The kernel's own text parses: what the agent meets in the guest.
  Result<std::vector<LinkStats>> links = read_link_stats();
  ASSERT_TRUE(links) << links.error().message();
  for (const LinkStats& l : *links) EXPECT_NE(l.name, "lo");
}

}  // namespace
}  // namespace kata::agent::network
