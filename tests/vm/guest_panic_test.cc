// A guest kernel panic must end QEMU at once: the kernel command line carries
// panic=-1 (reboot at once) and QEMU -no-reboot (a reboot is an exit), so the
// sandbox's watch and the agent connection see the VM's end, rather than a
// QEMU left spinning in a dead guest.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>

#include "common/fs.h"
#include "hypervisor/qemu/qemu.h"
#include "sys/subprocess.h"
#include "vm/vm_test_util.h"

namespace kata::vm_test {
namespace {

using namespace std::chrono_literals;

// An initrd whose /init is KATA_EXIT_INIT, written to `path`.
Result<void> make_exit_initrd(const std::string& dir, const std::string& path) {
  KATA_TRY(fs::mkdir_all(dir + "/root"));
  KATA_TRY(fs::write_file_atomic(dir + "/root/init", *fs::read_file(KATA_EXIT_INIT), 0755));
  KATA_ASSIGN_OR_RETURN(
      sys::CapturedOutput out,
      sys::run_capture(
          {.argv = {"sh", "-c", "cd \"$1\" && find . | cpio -o -H newc --quiet > \"$2\"", "sh",
                    dir + "/root", path}},
          30s));
  if (!out.status.success()) return Error(Code::kInternal, "cpio: " + out.err);
  return {};
}

TEST(GuestPanicTest, APanickedGuestEndsQemuAtOnce) {
  char tmpl[] = "/tmp/kata-panic-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  ASSERT_TRUE(make_exit_initrd(dir, dir + "/initrd.img"));
  config::Config c = tcg_guest_config();
  hypervisor::qemu::VmConfig vm;
  vm.qemu_path = c.hypervisor.path;
  vm.run_dir = dir + "/run";
  vm.machine = hypervisor::to_machine(c.hypervisor.machine_type);
  vm.accel = hypervisor::Accel::kTcg;
  vm.memory_mib = c.hypervisor.default_memory;
  vm.kernel = c.hypervisor.kernel;
  vm.initrd = dir + "/initrd.img";
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
