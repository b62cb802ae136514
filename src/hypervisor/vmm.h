#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>

#include "common/result.h"
#include "sys/subprocess.h"

namespace kata::hypervisor {

// One running virtual machine monitor, as the runtime drives it: qemu::QemuVm
// for real, runtime::testing::FakeVmm in unit tests. Either is a real host
// process, because the runtime watches its pidfd, persists it by pid and
// start time and kills it; a VMM without a process could not fail as QEMU
// does. Whatever happens, the process is reaped by stop(), kill(),
// wait_for_exit() or the destructor, which kills a VMM still running. Not
// thread-safe.
class Vmm {
 public:
  virtual ~Vmm() = default;

  virtual pid_t pid() const = 0;
  virtual int pidfd() const = 0;    // readable once the VMM has exited
  virtual bool exited() const = 0;  // and was reaped

  // Waits for the VMM to exit by itself (guest power-off or panic);
  // DEADLINE_EXCEEDED leaves it running.
  virtual Result<sys::ExitStatus> wait_for_exit(std::chrono::milliseconds timeout) = 0;
  // Asks the VMM to quit, then SIGKILL if it has not exited within `timeout`.
  // Returns how it ended (a signal means it had to be killed).
  virtual Result<sys::ExitStatus> stop(std::chrono::milliseconds timeout) = 0;
  // SIGKILL now, then reap. Returns how it ended.
  virtual Result<sys::ExitStatus> kill() = 0;

  // The last lines of the guest console ("" if unreadable), for boot errors.
  virtual std::string console_log_tail(size_t n_lines) const = 0;
};

}  // namespace kata::hypervisor
