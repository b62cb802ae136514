#include <gtest/gtest.h>

#include "oci/oci.h"

namespace kata::oci {
namespace {

grpc::Spec with_limits(int64_t memory, int64_t quota, uint64_t period) {
  grpc::Spec spec;
  grpc::LinuxResources* r = spec.mutable_linux()->mutable_resources();
  r->mutable_memory()->set_limit(memory);
  r->mutable_cpu()->set_quota(quota);
  r->mutable_cpu()->set_period(period);
  return spec;
}

TEST(ContainerSize, NoLimitsAddNothing) {
  ContainerSize none = container_size(grpc::Spec{});
  EXPECT_EQ(none.memory_mib, 0u);
  EXPECT_EQ(none.vcpus, 0u);
  // runc's "unlimited" values.
  ContainerSize unlimited = container_size(with_limits(-1, -1, 100000));
  EXPECT_EQ(unlimited.memory_mib, 0u);
  EXPECT_EQ(unlimited.vcpus, 0u);
}

TEST(ContainerSize, LimitsRoundUpToWholeMiBAndVcpus) {
  // ctr run --memory-limit 268435456 --cpus 1.5
  ContainerSize size = container_size(with_limits(256ll << 20, 150000, 100000));
  EXPECT_EQ(size.memory_mib, 256u);
  EXPECT_EQ(size.vcpus, 2u);
  size = container_size(with_limits((256ll << 20) + 1, 100000, 100000));
  EXPECT_EQ(size.memory_mib, 257u);
  EXPECT_EQ(size.vcpus, 1u);
}

TEST(ContainerSize, AQuotaWithoutPeriodUsesTheKernelsDefaultPeriod) {
  EXPECT_EQ(container_size(with_limits(0, 300000, 0)).vcpus, 3u);
}

TEST(PodSize, FromTheSandboxSizingAnnotations) {
  grpc::Spec spec;
  EXPECT_EQ(pod_size(spec).memory_mib, 0u);
  auto& a = *spec.mutable_annotations();
  a[kSandboxMemoryAnnotation] = std::to_string((512ll << 20) + 1);
  a[kSandboxCpuQuotaAnnotation] = "250000";
  a[kSandboxCpuPeriodAnnotation] = "100000";
  ContainerSize size = pod_size(spec);
  EXPECT_EQ(size.memory_mib, 513u);
  EXPECT_EQ(size.vcpus, 3u);
  a[kSandboxCpuPeriodAnnotation] = "0";  // the kernel's default period
  EXPECT_EQ(pod_size(spec).vcpus, 3u);
  // Not numbers: as if absent.
  a[kSandboxMemoryAnnotation] = "512Mi";
  a[kSandboxCpuQuotaAnnotation] = "-1";
  size = pod_size(spec);
  EXPECT_EQ(size.memory_mib, 0u);
  EXPECT_EQ(size.vcpus, 0u);
}

}  // namespace
}  // namespace kata::oci
