#pragma once

// Test doubles for the seam under GuestVm (BootOptions::launch_vmm and
// dial_agent). The fake VMM runs a real process (`sleep`), so that what the
// runtime does to QEMU's process works on it for real: pidfds, VmWatch's death
// detection, state.json's pid and start time, SIGKILL. Its guest's agent is a
// FakeAgent that loses its connection when that process ends, as the agent
// connection does when QEMU exits.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "agent_client/testing/fake_agent.h"
#include "hypervisor/qemu/vm_config.h"
#include "hypervisor/vmm.h"
#include "runtime/guest_vm.h"
#include "sys/subprocess.h"

namespace kata::runtime::testing {

// The agent in a FakeVmm's guest: DestroySandbox powers the guest off (the
// VMM's process exits), as with the real agent.
class FakeGuestAgent : public agent_client::testing::FakeAgent {
 public:
  Result<void> destroy_sandbox() override {
    KATA_TRY(FakeAgent::destroy_sandbox());
    std::lock_guard lock(power_mu_);
    if (power_off_) power_off_();
    return {};
  }
  // Set by the FakeVmm that runs this guest; null: the guest hangs instead.
  void on_power_off(std::function<void()> power_off) {
    std::lock_guard lock(power_mu_);
    power_off_ = std::move(power_off);
  }

 private:
  std::mutex power_mu_;
  std::function<void()> power_off_;
};

// Shared by a test and the fakes it hands GuestVm::boot, which owns them.
class FakeVmmControl {
 public:
  // Knobs.
  bool fail_launch = false;   // launch fails after creating the run dir, as QEMU can
  bool ignore_stop = false;   // stop()'s quit request is lost: only its SIGKILL ends the VMM
  bool guest_hangs = false;   // DestroySandbox does not power the guest off (read at launch)
  bool agent_silent = false;  // the agent never answers: the boot waits until it gives up
  // The VMM's process exits by itself this long after launch (read at launch).
  std::optional<std::chrono::milliseconds> die_after;

  // The guest's agent; connected again at every launch.
  std::shared_ptr<FakeGuestAgent> agent = std::make_shared<FakeGuestAgent>();

  // Observations.
  std::atomic<int> launches{0};
  std::atomic<int> dials{0};
  std::atomic<int> stop_calls{0};
  std::atomic<int> kill_calls{0};
  std::atomic<pid_t> pid{0};  // of the last VMM launched

  // How the last VMM's process ended, once reaped.
  std::optional<sys::ExitStatus> exit_status() {
    std::lock_guard lock(mu_);
    return exit_status_;
  }
  // Blocks until the last VMM's process has exited and its agent lost the
  // connection (or a timeout: false).
  bool wait_ended(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return ended_; });
  }

  // --- For the FakeVmm ---
  void launched(pid_t launched_pid) {
    std::lock_guard lock(mu_);
    pid = launched_pid;
    ended_ = false;
    exit_status_.reset();
  }
  void ended() {
    std::lock_guard lock(mu_);
    ended_ = true;
    cv_.notify_all();
  }
  void reaped(sys::ExitStatus status) {
    std::lock_guard lock(mu_);
    exit_status_ = status;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool ended_ = false;
  std::optional<sys::ExitStatus> exit_status_;
};

// A VMM that is a `sleep` process. stop() sends SIGTERM (unless told to
// ignore it) where QEMU gets a QMP quit; everything else is as QemuVm does it,
// on the same sys::Process.
class FakeVmm final : public hypervisor::Vmm {
 public:
  // Creates the run dir (as QemuVm::start does) with a console.log in it.
  static Result<std::unique_ptr<hypervisor::Vmm>> launch(const hypervisor::qemu::VmConfig& config,
                                                         std::shared_ptr<FakeVmmControl> control);

  FakeVmm(const FakeVmm&) = delete;
  FakeVmm& operator=(const FakeVmm&) = delete;
  ~FakeVmm() override;

  pid_t pid() const override { return process_.pid(); }
  int pidfd() const override { return process_.pidfd(); }
  bool exited() const override { return process_.reaped(); }
  Result<sys::ExitStatus> wait_for_exit(std::chrono::milliseconds timeout) override;
  Result<sys::ExitStatus> stop(std::chrono::milliseconds timeout) override;
  Result<sys::ExitStatus> kill() override;
  std::string console_log_tail(size_t n_lines) const override;

 private:
  FakeVmm(sys::Process process, std::shared_ptr<FakeVmmControl> control, std::string console_log)
      : process_(std::move(process)),
        control_(std::move(control)),
        console_log_(std::move(console_log)) {}
  // Passes `status` through, noting it in the control when the process was reaped.
  Result<sys::ExitStatus> note(Result<sys::ExitStatus> status);

  sys::Process process_;
  std::shared_ptr<FakeVmmControl> control_;
  std::string console_log_;
  std::thread watcher_;  // disconnects the agent when the process ends
};

// For BootOptions::launch_vmm and dial_agent. The dialer retries as the real
// client does: until the agent answers a check or give_up() says to stop.
VmmFactory fake_vmm_factory(std::shared_ptr<FakeVmmControl> control);
AgentDialer fake_agent_dialer(std::shared_ptr<FakeVmmControl> control);

}  // namespace kata::runtime::testing
