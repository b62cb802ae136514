#include "agent/container/cgroup.h"

#include <gtest/gtest.h>

namespace kata::agent::container {
namespace {

using Writes = std::vector<std::pair<std::string, std::string>>;

TEST(CgroupPath, PlainSystemdAndBad) {
  EXPECT_EQ(*cgroup_relative_path("", "c1"), "kata/c1");
  EXPECT_EQ(*cgroup_relative_path("/kubepods/pod1/c1", "c1"), "kubepods/pod1/c1");
  EXPECT_EQ(*cgroup_relative_path("system.slice:docker:c1", "c1"), "kata/c1");
  EXPECT_EQ(*cgroup_relative_path("/", "c1"), "kata/c1");
  auto bad = cgroup_relative_path("/a/../../etc", "c1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Code::kInvalidArgument);
}

TEST(CgroupWrites, Limits) {
  Resources r;
  r.memory_limit = 1 << 20;
  r.memory_swap = 3 << 20;
  r.cpu_quota = 50000;
  r.cpu_period = 100000;
  r.pids_limit = 64;
  EXPECT_EQ(cgroup_writes(r), (Writes{{"memory.max", "1048576"},
                                      {"memory.swap.max", "2097152"},
                                      {"cpu.max", "50000 100000"},
                                      {"pids.max", "64"}}));
}

TEST(CgroupWrites, UnlimitedAndShares) {
  Resources r;
  r.memory_limit = -1;
  r.cpu_period = 20000;
  r.cpu_shares = 1024;
  r.pids_limit = -1;
  EXPECT_EQ(cgroup_writes(r), (Writes{{"memory.max", "max"},
                                      {"cpu.max", "max 20000"},
                                      {"cpu.weight", "39"},
                                      {"pids.max", "max"}}));
  EXPECT_TRUE(cgroup_writes(Resources{}).empty());
}

TEST(CgroupWrites, HugepagesAndUnifiedComeLast) {
  Resources r;
  r.pids_limit = 5;
  r.hugepage_limits = {{"2MB", 4194304}};
  r.unified = {{"memory.high", "1G"}, {"pids.max", "7"}};
  EXPECT_EQ(cgroup_writes(r), (Writes{{"pids.max", "5"},
                                      {"hugetlb.2MB.max", "4194304"},
                                      {"memory.high", "1G"},
                                      {"pids.max", "7"}}));
}

TEST(FlatKeyed, Parses) {
  auto m = parse_flat_keyed("usage_usec 1234\nuser_usec 1000\nbad\n\noom_kill 2\n");
  EXPECT_EQ(m["usage_usec"], 1234u);
  EXPECT_EQ(m["oom_kill"], 2u);
  EXPECT_EQ(m.count("bad"), 0u);
}

}  // namespace
}  // namespace kata::agent::container

namespace kata::agent::container {
namespace {

TEST(WorkloadCgroupTest, LeavesTheAgentItsReserve) {
  EXPECT_EQ(workload_task_limit(4096, 3900, 256), 3644u);     // threads-max is the lower
  EXPECT_EQ(workload_task_limit(32768, 65536, 256), 32512u);  // pid_max is the lower
  EXPECT_EQ(workload_task_limit(300, 300, 256), 150u);        // tiny guest: half each
}

}  // namespace
}  // namespace kata::agent::container
