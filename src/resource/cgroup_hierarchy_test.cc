#include "resource/cgroup_hierarchy.h"

#include <gtest/gtest.h>

namespace kata::resource {
namespace {

// This machine's shape: v1 controllers each on its own, a named systemd hierarchy,
// an empty unified tree beside them, and a memory cgroup that is not the root.
constexpr char kHybridCgroup[] =
    "9:name=systemd:/\n"
    "4:memory:/process_api/abc\n"
    "3:cpuset:/\n"
    "1:cpu,cpuacct:/\n"
    "0::/\n";
constexpr char kHybridMounts[] =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

TEST(CgroupHierarchy, HybridHostGivesEveryV1HierarchyAndNotTheEmptyUnifiedTree) {
  std::vector<CgroupHierarchy> all = parse_cgroup_hierarchies(kHybridCgroup, kHybridMounts);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].mount_point, "/sys/fs/cgroup/systemd");
  EXPECT_EQ(all[1].mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(all[1].own_path, "/process_api/abc");
  EXPECT_TRUE(all[1].has("memory"));
  EXPECT_FALSE(all[1].has("cpu"));
  EXPECT_EQ(all[3].controllers, "cpu,cpuacct");
  EXPECT_TRUE(all[3].has("cpuacct"));
  EXPECT_FALSE(all[3].unified);
  EXPECT_EQ(all[3].dir("/k8s.io/pod1"), "/sys/fs/cgroup/cpu,cpuacct/k8s.io/pod1");
}

TEST(CgroupHierarchy, PureV2HostGivesTheUnifiedTree) {
  std::vector<CgroupHierarchy> all =
      parse_cgroup_hierarchies("0::/system.slice/containerd.service\n",
                               "25 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(all[0].unified);
  EXPECT_TRUE(all[0].has("memory"));
  EXPECT_EQ(all[0].own_path, "/system.slice/containerd.service");
}

TEST(CgroupHierarchy, MountOfASubtreeShowsPathsBelowIt) {
  std::vector<CgroupHierarchy> all = parse_cgroup_hierarchies(
      "4:memory:/docker/c1/inner\n",
      "34 30 0:31 /docker/c1 /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].own_path, "/inner");
}

TEST(CgroupHierarchy, UnmountedHierarchyIsLeftOut) {
  EXPECT_TRUE(parse_cgroup_hierarchies("5:devices:/\n", kHybridMounts).empty());
}

TEST(CgroupHierarchy, CgroupsPathAbsoluteRelativeAndHostile) {
  CgroupHierarchy memory{"/sys/fs/cgroup/memory", "memory", "/process_api/abc", false};
  auto absolute = cgroup_path_in(memory, "/kubepods/pod1/s1");
  ASSERT_TRUE(absolute);
  EXPECT_EQ(*absolute, "/kubepods/pod1/s1");
  auto relative = cgroup_path_in(memory, "k8s.io/s1");
  ASSERT_TRUE(relative);
  EXPECT_EQ(*relative, "/process_api/abc/k8s.io/s1");

  for (const char* bad : {"/kubepods/../../etc", "a/./b", "/", "", "system.slice:cri:s1"}) {
    auto refused = cgroup_path_in(memory, bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(refused.error().message().find("cgroupsPath"), std::string::npos);
  }
}

}  // namespace
}  // namespace kata::resource
