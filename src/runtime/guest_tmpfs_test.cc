// Which bind mounts become guest tmpfs volumes: host tmpfs directories at /dev/shm and
// kubelet emptyDirs on tmpfs (made under /dev/shm, a tmpfs on Debian), nothing else.
#include "runtime/guest_tmpfs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/fs.h"

namespace kata::runtime {
namespace {

grpc::Mount bind_mount(const std::string& source, const std::string& destination) {
  grpc::Mount m;
  m.set_type("bind");
  m.set_source(source);
  m.set_destination(destination);
  m.add_options("rbind");
  m.add_options("rw");
  return m;
}

class GuestTmpfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmpfs_ = "/dev/shm/guest-tmpfs-test-" + std::to_string(::getpid());
    disk_ = std::filesystem::current_path().string() + "/guest-tmpfs-test-" +
            std::to_string(::getpid());
    ASSERT_TRUE(fs::mkdir_all(tmpfs_ + "/volumes/kubernetes.io~empty-dir/cache"));
    ASSERT_TRUE(fs::mkdir_all(disk_ + "/volumes/kubernetes.io~empty-dir/scratch"));
    ::chmod((tmpfs_ + "/volumes/kubernetes.io~empty-dir/cache").c_str(), 0777);
  }
  void TearDown() override {
    (void)fs::remove_all(tmpfs_);
    (void)fs::remove_all(disk_);
  }
  std::string tmpfs_, disk_;
};

TEST_F(GuestTmpfsTest, PodShmBecomesTheSandboxShm) {
  grpc::Mount m = bind_mount(tmpfs_, "/dev/shm");
  std::optional<grpc::Storage> s = guest_tmpfs_for(m);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->driver(), "ephemeral");
  EXPECT_EQ(s->fstype(), "tmpfs");
  EXPECT_EQ(s->mount_point(), kGuestSandboxShm);
  EXPECT_TRUE(s->shared());
  ASSERT_EQ(s->options_size(), 2);
  EXPECT_TRUE(s->options(0).starts_with("size=")) << s->options(0);
  EXPECT_NE(s->options(0), "size=0");
  EXPECT_EQ(m.source(), kGuestSandboxShm);
  EXPECT_EQ(m.destination(), "/dev/shm");
  EXPECT_EQ(m.type(), "bind");
}

TEST_F(GuestTmpfsTest, MemoryEmptyDirBecomesAnEphemeralVolumeByName) {
  grpc::Mount m = bind_mount(tmpfs_ + "/volumes/kubernetes.io~empty-dir/cache", "/cache");
  std::optional<grpc::Storage> s = guest_tmpfs_for(m);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->mount_point(), std::string(kGuestEphemeralDir) + "cache");
  EXPECT_EQ(s->options(1), "mode=777");
  EXPECT_EQ(m.source(), s->mount_point());
}

TEST_F(GuestTmpfsTest, EverythingElseStaysAShare) {
  std::vector<grpc::Mount> others = {
      bind_mount(disk_ + "/volumes/kubernetes.io~empty-dir/scratch", "/scratch"),  // on disk
      bind_mount(disk_, "/dev/shm"),                                               // on disk
      bind_mount(tmpfs_, "/data"),                                              // not an emptyDir
      bind_mount(tmpfs_ + "/volumes/kubernetes.io~empty-dir/cache/..", "/up"),  // not a name
  };
  grpc::Mount proc;
  proc.set_type("proc");
  proc.set_source("proc");
  proc.set_destination("/dev/shm");
  others.push_back(proc);
  for (grpc::Mount& m : others) {
    std::string source = m.source();
    EXPECT_FALSE(guest_tmpfs_for(m)) << source << " -> " << m.destination();
    EXPECT_EQ(m.source(), source);
  }
}

}  // namespace
}  // namespace kata::runtime
