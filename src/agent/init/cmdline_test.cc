#include "agent/init/cmdline.h"

#include <gtest/gtest.h>

namespace kata::agent {
namespace {

TEST(SplitCmdline, QuotesGroupWords) {
  EXPECT_EQ(split_cmdline("  a b=\"c d\"  e\n"), (std::vector<std::string>{"a", "b=c d", "e"}));
  EXPECT_TRUE(split_cmdline("").empty());
  EXPECT_TRUE(split_cmdline(" \t\n").empty());
}

TEST(ParseAgentOptions, Defaults) {
  AgentOptions o = parse_agent_options("console=ttyS0 quiet panic=-1");
  EXPECT_EQ(o.log_level, log::Level::kInfo);
  EXPECT_EQ(o.channel, ChannelKind::kAuto);
  EXPECT_FALSE(o.debug_console);
  EXPECT_TRUE(o.warnings.empty());
}

struct LevelCase {
  const char* cmdline;
  log::Level level;
  size_t warnings;
};

TEST(ParseAgentOptions, LogLevels) {
  const LevelCase cases[] = {
      {"agent.log=debug", log::Level::kDebug, 0},
      {"agent.log=trace", log::Level::kTrace, 0},
      {"agent.log=warn", log::Level::kWarn, 0},
      {"agent.log=error", log::Level::kError, 0},
      {"agent.log=verbose", log::Level::kInfo, 1},
      {"agent.log", log::Level::kInfo, 1},
      {"agent.log=", log::Level::kInfo, 1},
      // The last one wins, as with the kernel's own options.
      {"agent.log=debug agent.log=error", log::Level::kError, 0},
  };
  for (const LevelCase& c : cases) {
    AgentOptions o = parse_agent_options(c.cmdline);
    EXPECT_EQ(o.log_level, c.level) << c.cmdline;
    EXPECT_EQ(o.warnings.size(), c.warnings) << c.cmdline;
  }
}

TEST(ParseAgentOptions, Channel) {
  EXPECT_EQ(parse_agent_options("agent.channel=serial").channel, ChannelKind::kSerial);
  EXPECT_EQ(parse_agent_options("agent.channel=vsock").channel, ChannelKind::kVsock);
  EXPECT_EQ(parse_agent_options("agent.channel=auto").channel, ChannelKind::kAuto);
  AgentOptions bad = parse_agent_options("agent.channel=pigeon");
  EXPECT_EQ(bad.channel, ChannelKind::kAuto);
  ASSERT_EQ(bad.warnings.size(), 1u);
  EXPECT_NE(bad.warnings[0].find("pigeon"), std::string::npos);
}

TEST(ParseAgentOptions, DebugConsoleIsAcceptedQuietly) {
  AgentOptions o = parse_agent_options("agent.debug_console agent.debug_console_vport=1026");
  EXPECT_TRUE(o.debug_console);
  EXPECT_TRUE(o.warnings.empty());
}

TEST(ParseAgentOptions, ParkNicRepeats) {
  AgentOptions o =
      parse_agent_options("agent.park_nic=02:aa:bb:cc:dd:ee agent.park_nic=02:11:22:33:44:55");
  EXPECT_EQ(o.park_nics, (std::vector<std::string>{"02:aa:bb:cc:dd:ee", "02:11:22:33:44:55"}));
  EXPECT_TRUE(o.warnings.empty());
  AgentOptions bad = parse_agent_options("agent.park_nic agent.park_nic=");
  EXPECT_TRUE(bad.park_nics.empty());
  EXPECT_EQ(bad.warnings.size(), 2u);
}

TEST(ParseAgentOptions, UnknownOptionsWarnOthersIgnored) {
  AgentOptions o = parse_agent_options("agentx.log=debug agent.frobnicate=1 xagent.log=debug");
  EXPECT_EQ(o.log_level, log::Level::kInfo);
  ASSERT_EQ(o.warnings.size(), 1u);
  EXPECT_NE(o.warnings[0].find("agent.frobnicate"), std::string::npos);
}

TEST(ParseAgentOptions, StopsAtInitArguments) {
  EXPECT_EQ(parse_agent_options("quiet -- agent.log=debug").log_level, log::Level::kInfo);
}

TEST(ParseAgentOptions, QuotedValue) {
  EXPECT_EQ(parse_agent_options("agent.log=\"debug\"").log_level, log::Level::kDebug);
}

}  // namespace
}  // namespace kata::agent
