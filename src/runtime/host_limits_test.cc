#include "runtime/host_limits.h"

#include <gtest/gtest.h>

namespace kata::runtime {
namespace {

constexpr int64_t kMiB = 1024 * 1024;

grpc::LinuxResources resources(int64_t memory, int64_t quota, uint64_t period) {
  grpc::LinuxResources r;
  if (memory) r.mutable_memory()->set_limit(memory);
  if (quota) r.mutable_cpu()->set_quota(quota);
  if (period) r.mutable_cpu()->set_period(period);
  return r;
}

TEST(HostLimits, ContainerLimitsFromTheSpec) {
  ContainerLimits none = container_limits(grpc::LinuxResources());
  EXPECT_EQ(none.memory_bytes, -1);
  EXPECT_EQ(none.cpu_quota_us, -1);
  ContainerLimits some = container_limits(resources(64 * kMiB, 50000, 0));
  EXPECT_EQ(some.memory_bytes, 64 * kMiB);
  EXPECT_EQ(some.cpu_quota_us, 50000);
  EXPECT_EQ(some.cpu_period_us, 100000u);  // runc's default period
}

TEST(HostLimits, MemoryIsTheVmPlusOverheadAndGrowsOnlyPastWhatBootGave) {
  VmFootprint vm{2048 + 256, 256, 1280};
  auto at_boot = sandbox_host_limits({container_limits(resources(256 * kMiB, 0, 0))}, vm);
  EXPECT_EQ(at_boot.memory_bytes, (2048 + 256 + 1280) * kMiB);
  // Lowered: the guest keeps its RAM, so the host keeps room for it.
  auto lowered = sandbox_host_limits({container_limits(resources(64 * kMiB, 0, 0))}, vm);
  EXPECT_EQ(lowered.memory_bytes, at_boot.memory_bytes);
  auto raised = sandbox_host_limits(
      {container_limits(resources(512 * kMiB, 0, 0)), container_limits(resources(1, 0, 0))}, vm);
  EXPECT_EQ(raised.memory_bytes, (2048 + 256 + 257 + 1280) * kMiB);  // 1 byte is 1 MiB more
  EXPECT_EQ(sandbox_host_limits({}, vm).memory_bytes, at_boot.memory_bytes);
}

TEST(HostLimits, CpuQuotaIsTheSumOnlyWhenEveryContainerHasOne) {
  VmFootprint vm{2048, 0, 256};
  auto summed = sandbox_host_limits(
      {container_limits(resources(0, 50000, 100000)), container_limits(resources(0, 10000, 50000))},
      vm);
  EXPECT_EQ(summed.cpu_quota_us, 70000);
  EXPECT_EQ(summed.cpu_period_us, 100000u);
  auto one_unbounded = sandbox_host_limits(
      {container_limits(resources(0, 50000, 100000)), container_limits(grpc::LinuxResources())},
      vm);
  EXPECT_EQ(one_unbounded.cpu_quota_us, -1);
  EXPECT_EQ(sandbox_host_limits({}, vm).cpu_quota_us, -1);
  auto tiny = sandbox_host_limits({container_limits(resources(0, 1, 1000000))}, vm);
  EXPECT_EQ(tiny.cpu_quota_us, 1000);  // the kernel's floor
}

}  // namespace
}  // namespace kata::runtime
