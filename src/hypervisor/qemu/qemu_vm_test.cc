// The QEMU driver with real QEMU under TCG: the guest kernel boots with no initrd and
// panics for want of a root fs, which is enough to see the whole start/stop cycle.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "common/fs.h"
#include "hypervisor/accel.h"
#include "hypervisor/qemu/qemu.h"
#include "hypervisor/testing/vm_test_env.h"

namespace kata::hypervisor::qemu {
namespace {

using std::chrono::milliseconds;

class QemuVmTest : public ::testing::TestWithParam<Machine> {
 protected:
  void SetUp() override {
    kernel_ = testing::test_kernel(KATA_TEST_KERNEL);
    if (kernel_.empty()) GTEST_SKIP() << "no guest kernel (set KATA_TEST_KERNEL)";
    char tmpl[] = "/tmp/kata-qemu-vm-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    config_.run_dir = dir_ + "/vm";
    config_.machine = GetParam();
    config_.accel = Accel::kTcg;
    config_.memory_mib = 256;
    config_.kernel = kernel_;
    config_.agent_channel = Channel::kSerial;
  }
  void TearDown() override {
    if (dir_.empty()) return;
    EXPECT_TRUE(testing::processes_mentioning(dir_).empty()) << "QEMU left running";
    (void)fs::remove_all(dir_);
  }
  std::string kernel_;
  std::string dir_;
  VmConfig config_;
};

TEST_P(QemuVmTest, GuestPanicEndsQemu) {
  auto vm = QemuVm::start(config_);
  ASSERT_TRUE(vm) << vm.error().message();
  auto status = (*vm)->qmp()->query_status();
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(*status, "running");
  EXPECT_TRUE(fs::exists((*vm)->paths().agent_socket));
  auto exit = (*vm)->wait_for_exit(milliseconds(60000));
  ASSERT_TRUE(exit) << exit.error().message() << "\n" << (*vm)->console_log_tail(20);
  EXPECT_TRUE(exit->success()) << exit->describe();
  EXPECT_TRUE(console_shows_kernel_panic((*vm)->console_log_tail(30)))
      << (*vm)->console_log_tail(30);
  EXPECT_FALSE(fs::exists((*vm)->paths().qmp_socket));
  EXPECT_FALSE(fs::exists((*vm)->paths().agent_socket));
}

TEST_P(QemuVmTest, StopEndsARunningGuest) {
  config_.kernel_params = "panic=0";  // after the panic the guest just sits there
  auto vm = QemuVm::start(config_);
  ASSERT_TRUE(vm) << vm.error().message();
  auto stopped = (*vm)->stop(milliseconds(10000));
  ASSERT_TRUE(stopped) << stopped.error().message();
  EXPECT_TRUE(stopped->success()) << stopped->describe();  // quit, not SIGKILL
  EXPECT_FALSE(fs::exists((*vm)->paths().qmp_socket));
}

TEST_P(QemuVmTest, BadKernelPathFailsWithQemusMessage) {
  config_.kernel = dir_ + "/no-such-vmlinuz";
  auto vm = QemuVm::start(config_);
  ASSERT_FALSE(vm);
  EXPECT_EQ(vm.error().message(),
            "start qemu: QEMU exited during start (exit status 1): qemu: could not open kernel "
            "file '" +
                config_.kernel + "': No such file or directory");
}

TEST_P(QemuVmTest, VsockWithoutVhostVsockFailsClearly) {
  if (fs::exists("/dev/vhost-vsock")) GTEST_SKIP() << "this host has vhost-vsock";
  config_.agent_channel = Channel::kVsock;
  auto vm = QemuVm::start(config_);
  ASSERT_FALSE(vm);
  EXPECT_EQ(vm.error().message(),
            "start qemu: QEMU exited during start (exit status 1): qemu-system-x86_64: -device "
            "vhost-vsock-" +
                std::string(GetParam() == Machine::kQ35 ? "pci" : "device") +
                ",id=vsock0,guest-cid=3: vhost-vsock: failed to open vhost device: No such file "
                "or directory");
}

INSTANTIATE_TEST_SUITE_P(Machines, QemuVmTest, ::testing::Values(Machine::kMicrovm, Machine::kQ35),
                         [](const ::testing::TestParamInfo<Machine>& info) {
                           return std::string(to_string(info.param));
                         });

}  // namespace
}  // namespace kata::hypervisor::qemu
