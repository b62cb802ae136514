#include "cli/container_ops.h"

#include <gtest/gtest.h>

#include <csignal>

namespace kata::cli {
namespace {

TEST(ParseSignalTest, TakesNamesAndNumbersAsRuncDoes) {
  EXPECT_EQ(*parse_signal("TERM"), SIGTERM);
  EXPECT_EQ(*parse_signal("SIGKILL"), SIGKILL);
  EXPECT_EQ(*parse_signal("sigkill"), SIGKILL);
  EXPECT_EQ(*parse_signal("9"), SIGKILL);
  EXPECT_EQ(*parse_signal("15"), SIGTERM);
  EXPECT_EQ(*parse_signal("WINCH"), SIGWINCH);
  EXPECT_EQ(*parse_signal("RTMIN"), SIGRTMIN);
  EXPECT_EQ(*parse_signal("SIGRTMIN+3"), SIGRTMIN + 3);
  EXPECT_EQ(*parse_signal("RTMAX-1"), SIGRTMAX - 1);
}

TEST(ParseSignalTest, RefusesTheRestNamingIt) {
  for (const char* bad : {"", "BOGUS", "0", "65", "-9", "SIGRTMIN+99", "RTMIN+", "9x", "1234"}) {
    Result<int> sig = parse_signal(bad);
    ASSERT_FALSE(sig) << bad;
    EXPECT_EQ(sig.error().message(), std::string("unknown signal \"") + bad + "\"");
  }
}

TEST(VisiblePidTest, IsTheRelaysUntilStopped) {
  ContainerRecord record;
  record.relay = {4242, 1};
  EXPECT_EQ(visible_pid(record, {kRunning, true}), 4242u);
  EXPECT_EQ(visible_pid(record, {kCreated, true}), 4242u);
  EXPECT_EQ(visible_pid(record, {kStopped, true}), 0u);
}

TEST(QueryStatusTest, AContainerWhoseServiceIsGoneIsStopped) {
  ContainerRecord record;
  record.id = "c1";
  record.socket = "/nonexistent/service.sock";
  ContainerStatus status = query_status(record);
  EXPECT_EQ(status.status, kStopped);
  EXPECT_FALSE(status.service_alive);
}

}  // namespace
}  // namespace kata::cli
