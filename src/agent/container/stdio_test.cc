#include "agent/container/stdio.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <thread>

namespace kata::agent::container {
namespace {

TEST(ProcessIo, PipesCarryDataAndReportEofOnlyWhenWritersClose) {
  auto io = ProcessIo::pipes();
  ASSERT_TRUE(io) << io.error().message();
  ChildStdio child = (*io)->child_stdio();
  int out = ::dup(child.out);
  int in = ::dup(child.in);
  (*io)->close_child_side();
  ASSERT_EQ(::write(out, "hello", 5), 5);
  auto first = (*io)->read_stdout(3, nullptr);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, "hel");
  EXPECT_EQ(*(*io)->read_stdout(100, nullptr), "lo");
  ::close(out);
  EXPECT_EQ(*(*io)->read_stdout(100, nullptr), "");
  // stderr: nobody holds its write end any more either.
  EXPECT_EQ(*(*io)->read_stderr(100, nullptr), "");

  auto n = (*io)->write_stdin("ping", nullptr);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 4u);
  ASSERT_TRUE((*io)->close_stdin());
  char buf[8];
  EXPECT_EQ(::read(in, buf, sizeof buf), 4);
  EXPECT_EQ(::read(in, buf, sizeof buf), 0);
  ::close(in);
  EXPECT_FALSE((*io)->write_stdin("x", nullptr));
  EXPECT_FALSE((*io)->resize(24, 80)) << "pipes have no terminal";
}

// The master comes from the container's init; here a pty of the test's own.
TEST(ProcessIo, TerminalUsesTheMasterItIsGiven) {
  auto io = ProcessIo::terminal();
  ASSERT_TRUE(io) << io.error().message();
  // Until the init attaches the pty, its stdio is /dev/null.
  ChildStdio child = (*io)->child_stdio();
  EXPECT_EQ(child.in, child.out);
  EXPECT_EQ(child.in, child.err);
  EXPECT_EQ(::write(child.out, "x", 1), 1);
  (*io)->close_child_side();

  UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) GTEST_SKIP() << "no ptys here";
  ASSERT_EQ(::unlockpt(master.get()), 0);
  UniqueFd slave(::open(::ptsname(master.get()), O_RDWR | O_NOCTTY | O_CLOEXEC));
  ASSERT_TRUE(slave);
  termios raw{};
  ASSERT_EQ(::tcgetattr(slave.get(), &raw), 0);
  ::cfmakeraw(&raw);
  ASSERT_EQ(::tcsetattr(slave.get(), TCSANOW, &raw), 0);
  ASSERT_TRUE((*io)->set_terminal_master(std::move(master)));

  ASSERT_EQ(::write(slave.get(), "out", 3), 3);
  EXPECT_EQ(*(*io)->read_stdout(100, nullptr), "out");
  EXPECT_EQ(*(*io)->read_stderr(100, nullptr), "") << "a terminal has no separate stderr";
  ASSERT_EQ(*(*io)->write_stdin("in", nullptr), 2u);
  char buf[8];
  ASSERT_EQ(::read(slave.get(), buf, sizeof buf), 2);
  ASSERT_TRUE((*io)->resize(50, 120));
  winsize ws{};
  ASSERT_EQ(::ioctl(slave.get(), TIOCGWINSZ, &ws), 0);
  EXPECT_EQ(ws.ws_row, 50);
  EXPECT_EQ(ws.ws_col, 120);
  slave.reset();
  EXPECT_EQ(*(*io)->read_stdout(100, nullptr), "") << "EIO once every slave is closed";
}

TEST(ProcessIo, PipesTakeNoTerminalMaster) {
  auto io = ProcessIo::pipes();
  ASSERT_TRUE(io);
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  EXPECT_FALSE((*io)->set_terminal_master(std::move(null)));
}

TEST(ProcessIo, BlockedReadEndsOnCancel) {
  auto io = ProcessIo::pipes();
  ASSERT_TRUE(io);
  ttrpc::CancelToken token;
  std::thread canceller([&token] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    token.cancel();
  });
  auto r = (*io)->read_stdout(10, &token);
  canceller.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kCancelled);
}

}  // namespace
}  // namespace kata::agent::container
