#include "agent_client/address.h"

#include <gtest/gtest.h>

namespace kata::agent_client {
namespace {

TEST(AgentAddressTest, ParsesEachScheme) {
  auto serial = parse_agent_address("serial:///run/kata-containers/x/agent.sock");
  ASSERT_TRUE(serial) << serial.error().message();
  EXPECT_EQ(serial->kind, AgentAddress::Kind::kSerial);
  EXPECT_EQ(serial->path, "/run/kata-containers/x/agent.sock");

  auto vsock = parse_agent_address("vsock://3:1024");
  ASSERT_TRUE(vsock);
  EXPECT_EQ(vsock->kind, AgentAddress::Kind::kVsock);
  EXPECT_EQ(vsock->cid, 3u);
  EXPECT_EQ(vsock->port, 1024u);

  auto hybrid = parse_agent_address("hvsock:///run/x/kata.hvsock:1024");
  ASSERT_TRUE(hybrid);
  EXPECT_EQ(hybrid->kind, AgentAddress::Kind::kHybridVsock);
  EXPECT_EQ(hybrid->path, "/run/x/kata.hvsock");
  EXPECT_EQ(hybrid->port, 1024u);
}

TEST(AgentAddressTest, RoundTripsThroughToString) {
  for (const char* uri : {"serial:///a/b.sock", "vsock://4294967295:1024", "hvsock:///x.sock:7"}) {
    auto a = parse_agent_address(uri);
    ASSERT_TRUE(a) << uri;
    EXPECT_EQ(a->to_string(), uri);
  }
}

TEST(AgentAddressTest, RejectsMalformed) {
  for (const char* uri :
       {"", "tcp://1.2.3.4:5", "serial://relative", "vsock://3", "vsock://x:1024",
        "vsock://3:", "vsock://3:99999999999", "hvsock://:1024", "hvsock:///p:port"}) {
    auto a = parse_agent_address(uri);
    EXPECT_FALSE(a) << uri;
    if (!a) {
      EXPECT_EQ(a.error().code(), Code::kInvalidArgument) << uri;
    }
  }
}

}  // namespace
}  // namespace kata::agent_client
