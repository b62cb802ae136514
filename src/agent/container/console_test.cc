#include "agent/container/console.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <string>

#include "common/testing/temp_dir.h"

namespace kata::agent::container {
namespace {

// The host's /dev/ptmx stands in for the container's.
Result<Pty> open_host_pty(uint32_t rows, uint32_t columns) {
  return open_pty("/dev/ptmx", rows, columns);
}

TEST(OpenPty, SlaveIsSizedAndCarriesDataBothWays) {
  auto pty = open_host_pty(30, 100);
  if (!pty && pty.error().sys_errno() == ENOENT) GTEST_SKIP() << "no /dev/ptmx here";
  ASSERT_TRUE(pty) << pty.error().message();
  winsize ws{};
  ASSERT_EQ(::ioctl(pty->slave.get(), TIOCGWINSZ, &ws), 0);
  EXPECT_EQ(ws.ws_row, 30);
  EXPECT_EQ(ws.ws_col, 100);
  // The peer is pts/<number> of the same devpts instance.
  struct stat by_fd, by_path;
  ASSERT_EQ(::fstat(pty->slave.get(), &by_fd), 0);
  std::string path = "/dev/pts/" + std::to_string(pty->number);
  if (::stat(path.c_str(), &by_path) == 0) {
    EXPECT_EQ(by_fd.st_rdev, by_path.st_rdev) << path;
  }
  EXPECT_TRUE(::fcntl(pty->master.get(), F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(::fcntl(pty->slave.get(), F_GETFD) & FD_CLOEXEC);

  termios raw{};
  ASSERT_EQ(::tcgetattr(pty->slave.get(), &raw), 0);
  ::cfmakeraw(&raw);
  ASSERT_EQ(::tcsetattr(pty->slave.get(), TCSANOW, &raw), 0);
  ASSERT_EQ(::write(pty->slave.get(), "out", 3), 3);
  char buf[8];
  ASSERT_EQ(::read(pty->master.get(), buf, sizeof buf), 3);
  EXPECT_EQ(std::string(buf, 3), "out");
  ASSERT_EQ(::write(pty->master.get(), "in", 2), 2);
  ASSERT_EQ(::read(pty->slave.get(), buf, sizeof buf), 2);
  EXPECT_EQ(std::string(buf, 2), "in");
}

TEST(OpenPty, NoSizeLeavesTheDefault) {
  auto pty = open_host_pty(0, 80);
  if (!pty && pty.error().sys_errno() == ENOENT) GTEST_SKIP() << "no /dev/ptmx here";
  ASSERT_TRUE(pty) << pty.error().message();
  winsize ws{};
  ASSERT_EQ(::ioctl(pty->slave.get(), TIOCGWINSZ, &ws), 0);
  EXPECT_EQ(ws.ws_row, 0);
  EXPECT_EQ(ws.ws_col, 0);
}

TEST(OpenPty, RefusesWhatIsNotAPtyMultiplexer) {
  kata::testing::TempDir tmp;
  const std::string& dir = tmp.path();
  std::string fake = dir + "/ptmx";
  ASSERT_EQ(::mkfifo(fake.c_str(), 0600), 0);
  auto pty = open_pty(fake, 24, 80);
  EXPECT_FALSE(pty);
  auto missing = open_pty(dir + "/none", 24, 80);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("/none`"), std::string::npos)
      << missing.error().message();
}

}  // namespace
}  // namespace kata::agent::container
