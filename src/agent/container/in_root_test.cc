#include "agent/container/in_root.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <climits>

#include "common/fs.h"
#include "common/testing/temp_dir.h"
#include "common/unique_fd.h"

namespace kata::agent::container {
namespace {

class InRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_ + "/root";
    ASSERT_TRUE(fs::mkdir_all(root_ + "/etc"));
    ASSERT_TRUE(fs::mkdir_all(dir_ + "/outside"));
    root_fd_.reset(::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_fd_);
  }
  std::string where(int fd) {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(fd_path(fd).c_str(), buf, sizeof buf);
    return n > 0 ? std::string(buf, n) : "";
  }

  kata::testing::TempDir tmp_;
  const std::string dir_ = tmp_.path();
  std::string root_;
  UniqueFd root_fd_;
};

TEST_F(InRoot, AbsoluteSymlinkOutStaysInside) {
  ASSERT_EQ(::symlink((dir_ + "/outside").c_str(), (root_ + "/data").c_str()), 0);
  auto fd = open_in_root(root_fd_.get(), "/data/sub", true);
  ASSERT_TRUE(fd) << fd.error().message();
  EXPECT_EQ(where(fd->get()), root_ + dir_ + "/outside/sub");
  EXPECT_FALSE(fs::exists(dir_ + "/outside/sub"));
}

TEST_F(InRoot, DotDotSymlinkStaysInside) {
  ASSERT_EQ(::symlink("../../../../outside", (root_ + "/up").c_str()), 0);
  auto fd = open_in_root(root_fd_.get(), "/up/x", true);
  ASSERT_TRUE(fd) << fd.error().message();
  EXPECT_EQ(where(fd->get()), root_ + "/outside/x");
}

TEST_F(InRoot, CreatesFileLeafAndFindsExisting) {
  auto f = open_in_root(root_fd_.get(), "/etc/resolv.conf", true, Leaf::kFile);
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_TRUE(fs::exists(root_ + "/etc/resolv.conf"));
  auto e = open_in_root(root_fd_.get(), "/etc", false);
  ASSERT_TRUE(e);
  EXPECT_EQ(where(e->get()), root_ + "/etc");
  auto missing = open_in_root(root_fd_.get(), "/nope", false);
  ASSERT_FALSE(missing);
}

}  // namespace
}  // namespace kata::agent::container
