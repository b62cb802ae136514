#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "hypervisor/qemu/console_log.h"
#include "hypervisor/qemu/qmp.h"
#include "hypervisor/qemu/vm_config.h"
#include "hypervisor/vmm.h"
#include "sys/subprocess.h"

namespace kata::hypervisor::qemu {

// One running QEMU process and its QMP connection. Whatever happens, the process is
// reaped and its sockets removed by stop(), wait_for_exit() or the destructor (which
// SIGKILLs a QEMU still running). Logs stay in the run dir; the run dir itself belongs
// to the caller. Not thread-safe.
class QemuVm final : public Vmm {
 public:
  // Creates the run dir, spawns QEMU (stdout+stderr to qemu.log; the guest console through
  // a pipe to a capped console.log; with config's -sandbox and, if asked, no
  // capabilities) and connects QMP.
  // A QEMU that dies meanwhile (bad kernel path, bad option) fails this with the end
  // of its own error output. On any failure nothing is left running.
  static Result<std::unique_ptr<QemuVm>> start(const VmConfig& config);

  QemuVm(const QemuVm&) = delete;
  QemuVm& operator=(const QemuVm&) = delete;
  ~QemuVm() override;

  pid_t pid() const override { return process_.pid(); }
  int pidfd() const override { return process_.pidfd(); }  // readable once QEMU has exited
  bool exited() const override { return process_.reaped(); }
  const RunPaths& paths() const { return paths_; }
  const std::vector<std::string>& argv() const { return argv_; }
  const std::string& kernel_cmdline() const { return kernel_cmdline_; }
  // The QMP connection, for hotplug and queries; null once QEMU has exited.
  QmpClient* qmp() { return qmp_ ? &*qmp_ : nullptr; }

  // Waits for QEMU to exit by itself (guest poweroff or panic); DEADLINE_EXCEEDED leaves
  // it running.
  Result<sys::ExitStatus> wait_for_exit(std::chrono::milliseconds timeout) override;

  // QMP quit, then SIGKILL to QEMU's process group if it has not exited within
  // `timeout`. Returns how QEMU ended (a signal means it had to be killed).
  Result<sys::ExitStatus> stop(std::chrono::milliseconds timeout) override;

  // SIGKILL to QEMU's process group, then reap: for a VM whose state is worth nothing
  // (its sandbox is being deleted). Quicker than a QMP quit by the time QEMU takes
  // to tear its devices down. Returns how QEMU ended.
  Result<sys::ExitStatus> kill() override;

  // The last lines of the guest console and of QEMU's own output ("" if unreadable).
  std::string console_log_tail(size_t n_lines) const override;
  std::string qemu_log_tail(size_t n_lines) const;

 private:
  QemuVm(sys::Process process, std::unique_ptr<ConsoleRelay> console, RunPaths paths,
         std::vector<std::string> argv, std::string kernel_cmdline)
      : process_(std::move(process)),
        console_(std::move(console)),
        paths_(std::move(paths)),
        argv_(std::move(argv)),
        kernel_cmdline_(std::move(kernel_cmdline)) {}

  Result<void> connect_qmp(std::chrono::milliseconds timeout);
  Error start_failure(std::string_view what, std::chrono::milliseconds grace);
  void release_resources();

  sys::Process process_;
  std::unique_ptr<ConsoleRelay> console_;  // stopped once QEMU is reaped
  RunPaths paths_;
  std::vector<std::string> argv_;
  std::string kernel_cmdline_;
  std::optional<QmpClient> qmp_;
};

// The kernel command line start() gives the guest (detecting the host TSC for microvm
// under TCG when config.tsc_khz is 0).
std::string guest_kernel_cmdline(const VmConfig& config);

}  // namespace kata::hypervisor::qemu
