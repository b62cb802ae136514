#pragma once

// What the VM tests in this folder share: where the guest image is, and the checks every
// VM test ends with. Header-only; link kata_vm_test_util, which defines
// KATA_BUILD_GUEST_DIR.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>

#include "common/fs.h"
#include "config/config.h"
#include "guest_image.h"
#include "hypervisor/qemu/vm_config.h"
#include "sys/proc_scan.h"
#include "sys/subprocess.h"

namespace kata::vm_test {

// $KATA_TEST_GUEST_DIR, else build/guest, where scripts/setup puts the image.
inline std::string guest_dir() {
  const char* env = std::getenv("KATA_TEST_GUEST_DIR");
  return env && *env ? env : KATA_BUILD_GUEST_DIR;
}

// The guest image of guest_dir() under TCG with 512 MiB, and a dial timeout for a
// loaded 2-core machine: what every VM test starts from.
inline config::Config tcg_guest_config() {
  config::Config c;
  c.hypervisor.kernel = kata::testing::guest_kernel(guest_dir());
  c.hypervisor.initrd = guest_dir() + "/kata-initrd.img";
  c.hypervisor.default_memory = 512;
  c.hypervisor.accelerator = config::Accelerator::kTcg;
  c.agent.dial_timeout = 90;
  return c;
}

// An initrd in `dir`/initrd.img whose only file is /init, a copy of `init_binary`:
// for tests that boot the kernel without the agent. Returns its path.
inline Result<std::string> make_init_initrd(const std::string& dir,
                                            const std::string& init_binary) {
  KATA_TRY(fs::mkdir_all(dir + "/root"));
  KATA_ASSIGN_OR_RETURN(std::string init, fs::read_file(init_binary));
  KATA_TRY(fs::write_file_atomic(dir + "/root/init", init, 0755));
  std::string path = dir + "/initrd.img";
  KATA_ASSIGN_OR_RETURN(
      sys::CapturedOutput out,
      sys::run_capture(
          {.argv = {"sh", "-c", "cd \"$1\" && find . | cpio -o -H newc --quiet > \"$2\"", "sh",
                    dir + "/root", path}},
          std::chrono::seconds(30)));
  if (!out.status.success()) return Error(Code::kInternal, "cpio: " + out.err);
  return path;
}

// QEMU booting tcg_guest_config()'s kernel on `initrd` under TCG, its run dir in `dir`.
inline hypervisor::qemu::VmConfig bare_vm_config(const std::string& dir,
                                                 const std::string& initrd) {
  config::Config c = tcg_guest_config();
  hypervisor::qemu::VmConfig vm;
  vm.qemu_path = c.hypervisor.path;
  vm.run_dir = dir + "/run";
  vm.machine = hypervisor::to_machine(c.hypervisor.machine_type);
  vm.accel = hypervisor::Accel::kTcg;
  vm.memory_mib = c.hypervisor.default_memory;
  vm.kernel = c.hypervisor.kernel;
  vm.initrd = initrd;
  return vm;
}

// A pid of 0 means "never started" (kill(0, 0) would ask about our own process group).
inline bool process_alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno != ESRCH); }

// The end of every VM test: no process names the run root (QEMU and virtiofsd name it in
// their arguments) and the run dir of sandbox `id` is gone.
inline void expect_nothing_left(const std::string& run_root, const std::string& id) {
  for (const sys::ProcessMention& p : sys::processes_mentioning(run_root))
    ADD_FAILURE() << "a process of the VM is left: " << p.pid << " " << p.cmdline;
  EXPECT_FALSE(fs::exists(run_root + "/" + id)) << "the run dir is left";
}

}  // namespace kata::vm_test
