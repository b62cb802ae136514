// A guest kernel panic must end QEMU at once: the kernel command line carries
// panic=-1 (reboot at once) and QEMU -no-reboot (a reboot is an exit), so the
// sandbox's watch and the agent connection see the VM's end, rather than a
// QEMU left spinning in a dead guest.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>

#include "common/fs.h"
#include "hypervisor/qemu/qemu.h"
#include "vm/vm_test_util.h"

namespace kata::vm_test {
namespace {

using namespace std::chrono_literals;

TEST(GuestPanicTest, APanickedGuestEndsQemuAtOnce) {
  char tmpl[] = "/tmp/kata-panic-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  Result<std::string> initrd = make_init_initrd(dir, KATA_EXIT_INIT);
  ASSERT_TRUE(initrd) << initrd.error().message();
  hypervisor::qemu::VmConfig vm = bare_vm_config(dir, *initrd);
  vm.agent_channel = hypervisor::Channel::kSerial;
  auto qemu = hypervisor::qemu::QemuVm::start(vm);
  ASSERT_TRUE(qemu) << qemu.error().message();
  auto status = (*qemu)->wait_for_exit(60s);
  ASSERT_TRUE(status) << "QEMU still runs a panicked guest; console:\n"
                      << (*qemu)->console_log_tail(20);
  std::string console = (*qemu)->console_log_tail(40);
  EXPECT_NE(console.find("Kernel panic"), std::string::npos) << console;
  EXPECT_TRUE(status->success()) << status->describe();  // -no-reboot: the reboot is an exit
  qemu->reset();
  EXPECT_TRUE(fs::remove_all(dir));
}

}  // namespace
}  // namespace kata::vm_test
