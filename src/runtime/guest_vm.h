#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "agent_client/agent.h"
#include "common/result.h"
#include "config/config.h"
#include "hypervisor/accel.h"
#include "hypervisor/qemu/qemu.h"
#include "hypervisor/types.h"

namespace kata::runtime {

constexpr char kDefaultRunRoot[] = "/run/kata-containers";

struct BootOptions {
  std::string id;                          // sandbox id: names the run dir and the VM
  std::string run_root = kDefaultRunRoot;  // run dir = run_root/id
};

// One booted guest whose agent answered: the VM plus the agent connection,
// owned together because neither is useful without the other. Destroying it
// without shutdown() kills QEMU; either way its run dir is removed.
class GuestVm {
 public:
  // Chooses the accelerator and the agent channel, starts QEMU and waits for
  // grpc.Health/Check until [agent.kata] dial_timeout. A failure carries the
  // tail of the guest console and leaves nothing behind.
  static Result<std::unique_ptr<GuestVm>> boot(const config::Config& config,
                                               const BootOptions& options);

  GuestVm(const GuestVm&) = delete;
  GuestVm& operator=(const GuestVm&) = delete;
  ~GuestVm();

  agent_client::Agent& agent() { return *agent_; }
  hypervisor::qemu::QemuVm& vm() { return *vm_; }
  const hypervisor::AccelVerdict& accel() const { return accel_; }
  hypervisor::Channel channel() const { return channel_; }
  hypervisor::Machine machine() const { return machine_; }
  const std::string& run_dir() const { return run_dir_; }
  // From spawning QEMU to the agent's first answer.
  std::chrono::milliseconds boot_to_ready() const { return boot_to_ready_; }

  // Asks the agent to power the guest off (DestroySandbox) and waits for QEMU
  // to exit by itself; if it does not within `timeout`, stops it through QMP
  // and then SIGKILL. The run dir is removed in every case. Afterwards only
  // run_dir(), boot_to_ready() and the choices made at boot remain usable.
  Result<void> shutdown(std::chrono::milliseconds timeout);

 private:
  GuestVm() = default;
  void remove_run_dir();

  std::unique_ptr<hypervisor::qemu::QemuVm> vm_;
  std::unique_ptr<agent_client::Agent> agent_;
  hypervisor::AccelVerdict accel_;
  hypervisor::Channel channel_ = hypervisor::Channel::kSerial;
  hypervisor::Machine machine_ = hypervisor::Machine::kMicrovm;
  std::string run_dir_;
  std::chrono::milliseconds boot_to_ready_{0};
};

// Sandbox ids name directories and sockets: letters, digits, '-', '_', '.',
// not starting with '.', at most 64 characters.
Result<void> validate_id(std::string_view id);

}  // namespace kata::runtime
