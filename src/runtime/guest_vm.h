#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent_client/address.h"
#include "agent_client/agent.h"
#include "common/result.h"
#include "config/config.h"
#include "hypervisor/accel.h"
#include "hypervisor/qemu/vm_config.h"
#include "hypervisor/types.h"
#include "hypervisor/vmm.h"
#include "resource/virtiofsd.h"
#include "runtime/agent_heartbeat.h"
#include "runtime/sandbox_state.h"
#include "runtime/vm_size.h"
#include "runtime/vm_watch.h"

namespace kata::runtime {

constexpr char kDefaultRunRoot[] = "/run/kata-containers";

// Starts the VMM for a VM; on failure nothing of it is left running.
using VmmFactory =
    std::function<Result<std::unique_ptr<hypervisor::Vmm>>(const hypervisor::qemu::VmConfig&)>;
// Asked between attempts to reach the agent: an error ends the wait with it.
using AgentGiveUp = std::function<std::optional<Error>()>;
// Connects to the agent of a booting guest: returns once it answered a health
// check, or fails with what give_up() said.
using AgentDialer = std::function<Result<std::shared_ptr<agent_client::Agent>>(
    const agent_client::AgentAddress&, const AgentGiveUp& give_up)>;

// The defaults of BootOptions: QEMU (qemu::QemuVm::start) and the ttRPC agent
// client (agent_client::TtrpcAgent::connect).
Result<std::unique_ptr<hypervisor::Vmm>> launch_qemu(const hypervisor::qemu::VmConfig& config);
Result<std::shared_ptr<agent_client::Agent>> dial_ttrpc_agent(
    const agent_client::AgentAddress& address, const AgentGiveUp& give_up);

struct BootOptions {
  std::string id;                          // sandbox id: names the run dir and the VM
  std::string run_root = kDefaultRunRoot;  // run dir = run_root/id
  // Shared with the guest through virtio-fs (tag kataShared, see docs/virtio-fs.md);
  // empty: no share. Typically resource::sandbox_shared_dir(id). Created if missing
  // (and then removed at teardown), bind-mounted onto itself as a shared mount, and
  // served by one virtiofsd started before QEMU and stopped after it.
  std::string shared_dir = {};
  // The VM's NICs, on taps opened in `network_namespace_fd`, where QEMU runs
  // (runtime/sandbox_network.h). Borrowed until boot() returns. -1: QEMU stays in
  // the caller's namespace (tests without a network).
  std::vector<hypervisor::qemu::NetDevice> nics = {};
  int network_namespace_fd = -1;
  // What the sandbox added to the caller's network namespace, in state.json from its first
  // write, so that a cleanup after a crash during boot finds it too.
  std::optional<NetworkState> network_state = std::nullopt;
  // Added to [hypervisor.qemu] default_vcpus and default_memory, up to the host's.
  VmSize extra = {};
  // The sandbox's host cgroup (resource/host_cgroup.h), in state.json for cleanup.
  std::vector<std::string> cgroup_dirs = {};
  // The seam under the VM: unit tests hand in fakes (runtime/testing/fake_vmm.h).
  VmmFactory launch_vmm = launch_qemu;
  AgentDialer dial_agent = dial_ttrpc_agent;
  // How a guest that stops answering while QEMU lives is told from a slow one.
  HeartbeatOptions heartbeat = {};
};

// One booted guest whose agent answered: the VM plus the agent connection,
// owned together because neither is useful without the other. Destroying it
// without shutdown() kills QEMU; either way its run dir is removed.
class GuestVm {
 public:
  // Chooses the accelerator and the agent channel, starts QEMU and waits for
  // grpc.Health/Check while QEMU lives and has used less than [agent.kata]
  // dial_timeout of CPU time (4 times that on the wall clock at most). A
  // failure carries the tail of the guest console and leaves nothing behind.
  static Result<std::unique_ptr<GuestVm>> boot(const config::Config& config,
                                               const BootOptions& options);

  GuestVm(const GuestVm&) = delete;
  GuestVm& operator=(const GuestVm&) = delete;
  ~GuestVm();

  agent_client::Agent& agent() { return *agent_; }
  // The same client, shared: a call in flight keeps it alive through shutdown(),
  // which ends the VM and so fails that call. Null once shut down.
  std::shared_ptr<agent_client::Agent> shared_agent() const { return agent_; }
  hypervisor::Vmm& vm() { return *vm_; }
  const hypervisor::AccelVerdict& accel() const { return accel_; }
  hypervisor::Channel channel() const { return channel_; }
  hypervisor::Machine machine() const { return machine_; }
  // The vCPUs and guest RAM it booted with.
  VmSize size() const { return size_; }
  const std::string& run_dir() const { return run_dir_; }
  const std::string& shared_dir() const { return shared_dir_; }
  // 0 without a share or once stopped; persist it to clean up after a crash.
  pid_t virtiofsd_pid() const { return virtiofsd_ ? virtiofsd_->pid() : 0; }
  // From spawning QEMU to the agent's first answer.
  std::chrono::milliseconds boot_to_ready() const { return boot_to_ready_; }
  // What ended the VM behind our back (virtiofsd or QEMU died, the guest powered
  // off or panicked); nullopt while it runs. Thread-safe.
  std::optional<std::string> death() const;
  // SIGKILL to QEMU now, `why` recorded as its death; everything else is left
  // to shutdown()/destroy(). Thread-safe (it only signals through a pidfd).
  void end(const std::string& why);
  // Rewrites state.json with `network` (an interface attached after boot adds a redirect),
  // if it changed. Thread-safe; does nothing once the VM is released.
  void record_network(const std::optional<NetworkState>& network);

  // Asks the agent to power the guest off (DestroySandbox) and waits for QEMU
  // to exit by itself; if it does not within `timeout`, stops it through QMP
  // and then SIGKILL. Then virtiofsd is stopped and everything mounted at or
  // under the shared dir is unmounted. The run dir is removed in every case. Afterwards only
  // run_dir(), boot_to_ready() and the choices made at boot remain usable.
  Result<void> shutdown(std::chrono::milliseconds timeout);

  // The fast end of a sandbox whose containers are gone: QEMU is killed at once,
  // with no word to the agent and no wait for a power-off (nothing in the guest
  // needs an orderly end: its files live on the host, written through virtio-fs,
  // which holds them as they are). Then as shutdown(): everything removed.
  Result<void> destroy();

 private:
  GuestVm() = default;
  Result<void> start_share(const config::Config& config, const std::string& shared_dir);
  // Launches the VMM, writes it into the state and starts the watch; on failure
  // releases everything (a virtiofsd that failed first is the error reported).
  Result<void> start_vmm(const hypervisor::qemu::VmConfig& vm, const VmmFactory& launch);
  // Asked while waiting for the agent: the error that ends the wait (QEMU died,
  // the boot has had dial_timeout of CPU time, or 4 times that on the wall
  // clock), or nullopt.
  std::optional<Error> agent_wait_over(uint32_t dial_timeout_s,
                                       std::chrono::steady_clock::time_point started);
  // Waits for the agent's first answer; on failure stops QEMU and releases
  // everything, and the error carries the guest console's last lines.
  Result<void> connect_agent(const config::Config& config, const hypervisor::qemu::VmConfig& vm,
                             const AgentDialer& dial,
                             std::chrono::steady_clock::time_point started);
  // Watches that the agent keeps answering; a hung guest is end()ed.
  void start_heartbeat(const HeartbeatOptions& options);
  // Writes <run dir>/state.json: this process and the ones it started, so that
  // `containerd-shim-kata-v2 delete` can end exactly those if we die.
  void persist_state(SandboxStatus status);
  // Drops the agent, QEMU (killed if running), virtiofsd and the share, and
  // removes the run dir: after it nothing of the VM is left on the host.
  void release();

  std::unique_ptr<hypervisor::Vmm> vm_;
  std::shared_ptr<agent_client::Agent> agent_;
  hypervisor::AccelVerdict accel_;
  hypervisor::Channel channel_ = hypervisor::Channel::kSerial;
  hypervisor::Machine machine_ = hypervisor::Machine::kMicrovm;
  std::string run_dir_;
  std::unique_ptr<resource::Virtiofsd> virtiofsd_;
  VmSize size_;
  std::string shared_dir_;           // set once the share is prepared
  bool shared_dir_created_ = false;  // by us, so ours to remove
  std::chrono::milliseconds boot_to_ready_{0};
  std::string id_;
  std::unique_ptr<VmWatch> watch_;  // from QEMU's start until release()
  // From the agent's first answer until shutdown() or release(): a hung guest
  // is ended like a dead one.
  std::unique_ptr<AgentHeartbeat> heartbeat_;
  // What persist_state() writes besides the processes; guarded by state_mu_, which also
  // keeps two writes of state.json from crossing.
  std::mutex state_mu_;
  SandboxStatus status_ = SandboxStatus::kBooting;
  std::optional<NetworkState> network_state_;
  std::vector<std::string> cgroup_dirs_;
  bool released_ = false;
};

}  // namespace kata::runtime
