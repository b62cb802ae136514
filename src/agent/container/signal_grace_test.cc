#include "agent/container/signal_grace.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "sys/subprocess.h"

namespace kata::agent::container {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kStatus[] =
    "Name:\tsh\nSigQ:\t0/3893\nSigPnd:\t0000000000000000\nSigBlk:\t0000000000000000\n"
    "SigIgn:\t0000000000000004\nSigCgt:\t0000000000004002\n";

TEST(SignalGraceTest, ReadsCaughtAndIgnoredSignalsFromTheMasks) {
  EXPECT_TRUE(handler_decided(kStatus, SIGINT));    // bit 1 of SigCgt
  EXPECT_TRUE(handler_decided(kStatus, SIGTERM));   // bit 14 of SigCgt
  EXPECT_TRUE(handler_decided(kStatus, SIGQUIT));   // bit 2 of SigIgn
  EXPECT_FALSE(handler_decided(kStatus, SIGUSR1));  // default action
  EXPECT_FALSE(handler_decided("Name:\tx\n", SIGTERM));
}

TEST(SignalGraceTest, WaitsUntilTheHandlerIsInstalled) {
  // The shell installs its trap after a pause: the wait must end then, not before
  // and not at the end of the grace.
  auto child = sys::Process::spawn(sys::SpawnOptions{
      .argv = {"/bin/sh", "-c", "sleep 0.3; trap 'kill $!; exit 7' TERM; sleep 30 & wait"}});
  ASSERT_TRUE(child) << child.error().message();
  auto start = Clock::now();
  wait_for_handler(child->pid(), SIGTERM, start + std::chrono::seconds(10));
  auto waited = Clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::seconds(5));
  ASSERT_EQ(::kill(child->pid(), SIGTERM), 0);
  auto status = child->wait_for(std::chrono::seconds(10));
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, 7);  // the trap ran: the signal came after the handler
}

TEST(SignalGraceTest, NeverWaitsForSigkillOrPastTheGrace) {
  auto child = sys::Process::spawn(sys::SpawnOptions{.argv = {"/bin/sleep", "30"}});
  ASSERT_TRUE(child);
  auto start = Clock::now();
  wait_for_handler(child->pid(), SIGKILL, start + std::chrono::seconds(10));
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(100));
  wait_for_handler(child->pid(), SIGTERM, start + std::chrono::milliseconds(200));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  ASSERT_TRUE(child->kill(SIGKILL));
}

}  // namespace
}  // namespace kata::agent::container
