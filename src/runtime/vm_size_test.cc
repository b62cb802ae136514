#include "runtime/vm_size.h"

#include <gtest/gtest.h>

namespace kata::runtime {
namespace {

constexpr VmSize kDefaults{1, 512};
constexpr VmSize kHost{2, 8192};

TEST(SizeVm, NoLimitsKeepTheDefaults) {
  VmSize size = size_vm(kDefaults, {}, kHost);
  EXPECT_EQ(size.vcpus, 1u);
  EXPECT_EQ(size.memory_mib, 512u);
}

TEST(SizeVm, LimitsAddToTheDefaults) {
  VmSize size = size_vm(kDefaults, {1, 256}, kHost);
  EXPECT_EQ(size.vcpus, 2u);
  EXPECT_EQ(size.memory_mib, 768u);
}

TEST(SizeVm, CappedAtTheHostButNeverBelowTheDefaults) {
  VmSize size = size_vm(kDefaults, {8, 1 << 20}, kHost);
  EXPECT_EQ(size.vcpus, 2u);
  EXPECT_EQ(size.memory_mib, 8192u);
  // Defaults the configuration set above the host stay: that is the operator's call.
  size = size_vm({4, 16384}, {1, 1}, kHost);
  EXPECT_EQ(size.vcpus, 4u);
  EXPECT_EQ(size.memory_mib, 16384u);
}

TEST(SizeVm, TheHostIsSeen) {
  VmSize host = host_size();
  EXPECT_GE(host.vcpus, 1u);
  EXPECT_GT(host.memory_mib, 0u);
}

}  // namespace
}  // namespace kata::runtime
