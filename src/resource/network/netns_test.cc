// NetNs::open's checks: no privilege needed, so these run as unit tests.
#include "resource/network/netns.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include "common/testing/temp_dir.h"

namespace kata::resource::network {
namespace {

TEST(NetNsOpenTest, AcceptsANetworkNamespace) {
  auto ns = NetNs::open("/proc/self/ns/net");
  ASSERT_TRUE(ns) << ns.error().message();
  EXPECT_GE(ns->fd(), 0);
  EXPECT_TRUE(::fcntl(ns->fd(), F_GETFD) & FD_CLOEXEC);
  auto cur = NetNs::current();
  ASSERT_TRUE(cur);
  EXPECT_EQ(cur->inode(), ns->inode());
}

TEST(NetNsOpenTest, RefusesARegularFile) {
  testing::TempDir dir;
  std::string file = dir.path() + "/net";
  int fd = ::open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ::close(fd);
  auto ns = NetNs::open(file);
  ASSERT_FALSE(ns);
  EXPECT_EQ(ns.error().code(), Code::kInvalidArgument);
  EXPECT_NE(
      ns.error().message().find("open network namespace `" + file + "`: not a namespace file"),
      std::string::npos)
      << ns.error().message();
}

TEST(NetNsOpenTest, RefusesADirectory) {
  testing::TempDir dir;
  auto ns = NetNs::open(dir.path());
  ASSERT_FALSE(ns);
  EXPECT_EQ(ns.error().code(), Code::kInvalidArgument);
  EXPECT_NE(ns.error().message().find("not a namespace file"), std::string::npos)
      << ns.error().message();
}

TEST(NetNsOpenTest, RefusesAnotherNamespaceType) {
  for (const char* other : {"mnt", "uts", "ipc"}) {
    std::string path = std::string("/proc/self/ns/") + other;
    auto ns = NetNs::open(path);
    ASSERT_FALSE(ns) << path;
    EXPECT_EQ(ns.error().code(), Code::kInvalidArgument);
    EXPECT_NE(ns.error().message().find("not a network namespace"), std::string::npos)
        << ns.error().message();
  }
  EXPECT_EQ(NetNs::open("/proc/self/ns/mnt").error().message(),
            "open network namespace `/proc/self/ns/mnt`: a mount namespace, not a network "
            "namespace");
}

TEST(NetNsOpenTest, MissingPathIsNotFound) {
  auto ns = NetNs::open("/nonexistent/kata/netns");
  ASSERT_FALSE(ns);
  EXPECT_EQ(ns.error().code(), Code::kNotFound);
  EXPECT_EQ(ns.error().sys_errno(), ENOENT);
}

TEST(NetNsTest, NamespaceTypeNames) {
  EXPECT_EQ(namespace_type_name(CLONE_NEWNET), "network");
  EXPECT_EQ(namespace_type_name(CLONE_NEWNS), "mount");
  EXPECT_EQ(namespace_type_name(CLONE_NEWUSER), "user");
  EXPECT_EQ(namespace_type_name(0x1), "unknown (type 0x1)");
}

TEST(NetNsTest, RunInReturnsTheResultAndKeepsTheCallerWhereItWas) {
  auto ns = NetNs::current();
  ASSERT_TRUE(ns);
  auto inside = ns->run_in([]() -> Result<ino_t> {
    KATA_ASSIGN_OR_RETURN(NetNs here, NetNs::current());
    return here.inode();
  });
  ASSERT_TRUE(inside) << inside.error().message();
  EXPECT_EQ(*inside, ns->inode());
  auto failed = ns->run_in([]() -> Result<int> { return Error(Code::kAborted, "no"); });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), Code::kAborted);
}

}  // namespace
}  // namespace kata::resource::network
