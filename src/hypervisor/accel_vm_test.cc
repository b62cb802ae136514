// The real KVM probe. On a host where KVM runs guests it must answer KVM; where
// /dev/kvm is missing or hangs guests (the project's CI), TCG. Either way it must
// finish within its timeout and leave no QEMU behind.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "common/fs.h"
#include "hypervisor/accel.h"
#include "hypervisor/testing/vm_test_env.h"

namespace kata::hypervisor {
namespace {

using std::chrono::milliseconds;

TEST(AccelVmTest, ProbeAnswersAndCaches) {
  std::string kernel = testing::test_kernel(KATA_TEST_KERNEL);
  if (kernel.empty()) GTEST_SKIP() << "no guest kernel (set KATA_TEST_KERNEL)";
  char tmpl[] = "/tmp/kata-accel-vm-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;

  AccelProbeOptions opts;
  opts.kernel = kernel;
  opts.cache_dir = dir + "/cache";
  opts.timeout = milliseconds(5000);
  auto start = std::chrono::steady_clock::now();
  auto verdict = choose_accelerator(config::Accelerator::kAuto, opts);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(verdict) << verdict.error().message();
  std::cout << "verdict: " << to_string(verdict->accel) << ": " << verdict->reason << "\n";
  EXPECT_LT(took, std::chrono::seconds(15));
  EXPECT_TRUE(testing::processes_mentioning(dir).empty());

  // This must agree with what the probe's own console shows.
  auto console = fs::read_file(opts.cache_dir + "/kvm-probe.console.log");
  if (verdict->accel == Accel::kKvm) {
    ASSERT_TRUE(console);
    EXPECT_TRUE(console_shows_kernel_panic(*console));
  }

  if (fs::exists(opts.dev_kvm)) {
    ASSERT_TRUE(fs::exists(opts.cache_dir + "/kvm-probe"));
    auto cached_start = std::chrono::steady_clock::now();
    auto again = choose_accelerator(config::Accelerator::kAuto, opts);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *verdict);
    EXPECT_LT(std::chrono::steady_clock::now() - cached_start, std::chrono::milliseconds(500));
  }
  (void)fs::remove_all(dir);
}

}  // namespace
}  // namespace kata::hypervisor
