#include "runtime/guest_vm.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>

#include "agent_client/ttrpc_agent.h"
#include "common/fs.h"
#include "common/id.h"
#include "common/log.h"
#include "hypervisor/host_check.h"
#include "hypervisor/qemu/qemu.h"
#include "resource/rootfs.h"
#include "resource/shared_dir.h"

namespace kata::runtime {
namespace {

using Clock = std::chrono::steady_clock;
namespace qemu = hypervisor::qemu;

constexpr uint32_t kAgentVsockPort = 1024;
constexpr size_t kConsoleTailLines = 25;
// How many times [agent.kata] dial_timeout a boot may take on the wall clock
// while QEMU is alive and has not used dial_timeout of CPU time.
constexpr uint32_t kWallLimitFactor = 4;

// vhost-vsock context ids are host-global; pick one at random above the
// reserved ones and let QEMU fail on the rare clash.
uint32_t random_guest_cid() {
  std::random_device rd;
  return 3 + rd() % 0x7ffffff0u;
}

agent_client::AgentAddress agent_address(const qemu::VmConfig& vm) {
  agent_client::AgentAddress a;
  if (vm.agent_channel == hypervisor::Channel::kSerial) {
    a.kind = agent_client::AgentAddress::Kind::kSerial;
    a.path = qemu::RunPaths::in(vm.run_dir).agent_socket;
  } else {
    a.kind = agent_client::AgentAddress::Kind::kVsock;
    a.cid = vm.vsock_guest_cid;
    a.port = kAgentVsockPort;
  }
  return a;
}

}  // namespace

Result<std::unique_ptr<hypervisor::Vmm>> launch_qemu(const qemu::VmConfig& config) {
  KATA_ASSIGN_OR_RETURN(std::unique_ptr<qemu::QemuVm> vm, qemu::QemuVm::start(config));
  return std::unique_ptr<hypervisor::Vmm>(std::move(vm));
}

Result<std::shared_ptr<agent_client::Agent>> dial_ttrpc_agent(
    const agent_client::AgentAddress& address, const AgentGiveUp& give_up) {
  KATA_ASSIGN_OR_RETURN(std::unique_ptr<agent_client::TtrpcAgent> agent,
                        agent_client::TtrpcAgent::connect(address, give_up));
  return std::shared_ptr<agent_client::Agent>(std::move(agent));
}

Result<std::unique_ptr<GuestVm>> GuestVm::boot(const config::Config& config,
                                               const BootOptions& options) {
  KATA_TRY(validate_id(options.id));
  const std::string what = "boot VM " + options.id;
  const auto& hv = config.hypervisor;

  // Checked before the GuestVm exists: its destructor removes the run dir,
  // which here would belong to another VM.
  std::string run_dir = options.run_root + "/" + options.id;
  if (fs::exists(run_dir)) {
    return Error(Code::kAlreadyExists, what + ": `" + run_dir + "` already exists");
  }
  KATA_TRY(fs::mkdir_all(options.run_root, 0711).context(what));
  std::unique_ptr<GuestVm> guest(new GuestVm());
  guest->run_dir_ = run_dir;
  guest->id_ = options.id;
  guest->network_state_ = options.network_state;
  guest->cgroup_dirs_ = options.cgroup_dirs;

  hypervisor::AccelProbeOptions probe;
  probe.qemu_path = hv.path;
  probe.kernel = hv.kernel;
  probe.cache_dir = options.run_root;
  KATA_ASSIGN_OR_RETURN(guest->accel_,
                        hypervisor::choose_accelerator(hv.accelerator, probe).context(what));

  guest->machine_ = hypervisor::to_machine(hv.machine_type);
  guest->channel_ =
      hypervisor::choose_agent_channel(config.agent.channel, fs::exists("/dev/vhost-vsock"));
  KATA_ASSIGN_OR_RETURN(qemu::VmConfig vm, qemu::vm_config_from(config, guest->accel_.accel,
                                                                guest->channel_, guest->run_dir_)
                                               .context(what));
  vm.name = options.id;
  VmSize size = size_vm({vm.vcpus, vm.memory_mib}, options.extra, host_size());
  vm.vcpus = static_cast<uint32_t>(size.vcpus);
  vm.memory_mib = static_cast<uint32_t>(size.memory_mib);
  guest->size_ = size;
  vm.vsock_guest_cid = random_guest_cid();
  if (!options.shared_dir.empty()) {
    Result<void> shared = guest->start_share(config, options.shared_dir);
    if (!shared) {
      guest->release();
      return std::move(shared).error().context(what);
    }
    vm.devices.emplace_back(hypervisor::qemu::SharedFsDevice{});
  }
  for (const hypervisor::qemu::NetDevice& nic : options.nics) vm.devices.emplace_back(nic);
  vm.network_namespace_fd = options.network_namespace_fd;

  auto started = Clock::now();
  KATA_TRY(guest->start_vmm(vm, options.launch_vmm).context(what));
  KATA_TRY(guest->connect_agent(config, vm, options.dial_agent, started).context(what));
  guest->start_heartbeat(options.heartbeat);
  guest->persist_state(SandboxStatus::kRunning);
  return guest;
}

void GuestVm::start_heartbeat(const HeartbeatOptions& options) {
  pid_t qemu_pid = vm_->pid();  // reaped only after the heartbeat stopped
  heartbeat_ = std::make_unique<AgentHeartbeat>(
      agent_,
      [qemu_pid]() -> std::optional<std::chrono::milliseconds> {
        Result<std::chrono::milliseconds> cpu = sys::process_cpu_time(qemu_pid);
        return cpu ? std::optional(*cpu) : std::nullopt;
      },
      [this](const std::string& why) {
        log::error("VM {}: {}; ending it", id_, why);
        end(why);
      },
      options);
}

Result<void> GuestVm::start_vmm(const qemu::VmConfig& vm, const VmmFactory& launch) {
  Result<std::unique_ptr<hypervisor::Vmm>> vmm = launch(vm);
  if (!vmm) {
    // QEMU waits for virtiofsd's handshake: a daemon that failed is the clearer cause.
    Result<void> share_ready = virtiofsd_ ? virtiofsd_->wait_ready() : Result<void>();
    release();
    if (!share_ready) return share_ready;
    return std::move(vmm).error();
  }
  vm_ = std::move(*vmm);
  persist_state(SandboxStatus::kBooting);
  // From now on a dead virtiofsd ends QEMU, and a dead QEMU ends the wait for the agent.
  Result<std::unique_ptr<VmWatch>> watch = VmWatch::start(
      {vm_->pid(), vm_->pidfd()}, {virtiofsd_pid(), virtiofsd_ ? virtiofsd_->pidfd() : -1});
  if (!watch) {
    release();
    return std::move(watch).error();
  }
  watch_ = std::move(*watch);
  return {};
}

std::optional<Error> GuestVm::agent_wait_over(uint32_t dial_timeout_s, Clock::time_point started) {
  if (vm_->wait_for_exit(std::chrono::milliseconds(0)).ok()) {
    std::optional<std::string> death = this->death();
    return Error(Code::kUnavailable, "the VM exited before its agent answered" +
                                         (death ? " (" + *death + ")" : std::string()));
  }
  // The budget is QEMU's CPU time, not the wall clock: boots started together
  // on a loaded host wait their turn for the CPU, while a guest that spins
  // without its agent answering spends it. The wall limit stops a VM that is
  // never scheduled at all.
  auto budget = std::chrono::seconds(dial_timeout_s);
  Result<std::chrono::milliseconds> cpu = sys::process_cpu_time(vm_->pid());
  if (cpu && *cpu >= budget) {
    return Error(
        Code::kDeadlineExceeded,
        fmt::format("agent did not answer within {} s of the VM's CPU time", dial_timeout_s));
  }
  if (Clock::now() - started >= kWallLimitFactor * budget) {
    return Error(Code::kDeadlineExceeded,
                 fmt::format("agent did not answer within {} s (the VM got {} ms of CPU time)",
                             kWallLimitFactor * dial_timeout_s, cpu ? cpu->count() : -1));
  }
  return std::nullopt;
}

Result<void> GuestVm::connect_agent(const config::Config& config, const qemu::VmConfig& vm,
                                    const AgentDialer& dial,
                                    std::chrono::steady_clock::time_point started) {
  auto agent =
      dial(agent_address(vm), [&] { return agent_wait_over(config.agent.dial_timeout, started); });
  if (!agent) {
    std::string tail = vm_->console_log_tail(kConsoleTailLines);
    (void)vm_->stop(std::chrono::seconds(2));  // the agent error is the one to report
    release();
    Error err = std::move(agent).error();
    return Error(err.code(), err.message() + "\nguest console (last lines):\n" + tail);
  }
  agent_ = std::move(*agent);
  boot_to_ready_ = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  return {};
}

Result<void> GuestVm::shutdown(std::chrono::milliseconds timeout) {
  if (!vm_) return Error(Code::kFailedPrecondition, "shut down VM: already shut down");
  // A guest powering off stops answering, which is no hang; and once QEMU is
  // reaped below its pid may be another process's.
  heartbeat_.reset();
  Result<void> destroyed = agent_->destroy_sandbox();
  if (destroyed) {
    Result<sys::ExitStatus> exited = vm_->wait_for_exit(timeout);
    if (exited) {
      release();
      return {};
    }
    log::warn("VM {} did not power off within {} ms; stopping it", run_dir_, timeout.count());
  }
  Result<sys::ExitStatus> stopped = vm_->stop(std::chrono::seconds(2));
  release();
  if (!destroyed) return std::move(destroyed).error().context("shut down VM: DestroySandbox");
  if (!stopped) return std::move(stopped).error().context("shut down VM");
  return Error(Code::kDeadlineExceeded,
               "shut down VM: the guest did not power off; QEMU was stopped");
}

Result<void> GuestVm::destroy() {
  if (!vm_) return Error(Code::kFailedPrecondition, "destroy VM: already shut down");
  Result<sys::ExitStatus> killed = vm_->kill();
  release();
  if (!killed) return std::move(killed).error().context("destroy VM");
  return {};
}

GuestVm::~GuestVm() {
  if (vm_ && !vm_->exited()) (void)vm_->stop(std::chrono::seconds(2));
  release();
}

Result<void> GuestVm::start_share(const config::Config& config, const std::string& shared_dir) {
  const auto& hv = config.hypervisor;
  if (hv.shared_fs != config::SharedFs::kVirtioFs) {
    return Error(Code::kFailedPrecondition,
                 "share `" + shared_dir + "`: shared_fs is not virtio-fs in the configuration");
  }
  KATA_TRY(resource::validate_clean_path(shared_dir, "shared dir"));
  bool created = !fs::exists(shared_dir);
  Result<void> prepared = resource::prepare_shared_dir(shared_dir);
  if (!prepared) {
    if (created) (void)fs::remove_all(shared_dir);  // nothing is mounted there: we failed
    return prepared;
  }
  shared_dir_ = shared_dir;
  shared_dir_created_ = created;
  // virtiofsd's socket and log live in the run dir, before QEMU creates it.
  KATA_TRY(fs::mkdir_all(run_dir_, 0750));
  qemu::RunPaths paths = qemu::RunPaths::in(run_dir_);
  resource::VirtiofsdConfig vfs{.daemon = hv.virtio_fs_daemon,
                                .shared_dir = shared_dir,
                                .socket_path = paths.virtiofs_socket,
                                .log_path = paths.virtiofsd_log,
                                .cache = hv.virtio_fs_cache,
                                .extra_args = hv.virtio_fs_extra_args};
  // Not waited for: QEMU's start overlaps the daemon's (boot() checks on it).
  KATA_ASSIGN_OR_RETURN(virtiofsd_, resource::Virtiofsd::spawn(vfs));
  persist_state(SandboxStatus::kBooting);
  return {};
}

std::optional<std::string> GuestVm::death() const {
  return watch_ ? watch_->death() : std::nullopt;
}

void GuestVm::end(const std::string& why) {
  if (watch_) watch_->kill_qemu(why);
}

void GuestVm::record_network(const std::optional<NetworkState>& network) {
  SandboxStatus status;
  {
    std::lock_guard lock(state_mu_);
    if (released_ || network == network_state_) return;
    network_state_ = network;
    status = status_;
  }
  persist_state(status);
}

void GuestVm::persist_state(SandboxStatus status) {
  std::lock_guard lock(state_mu_);
  if (released_) return;  // the run dir is gone: a write would make it again
  status_ = status;
  SandboxState state;
  state.id = id_;
  state.status = status;
  state.network = network_state_;
  state.cgroup_dirs = cgroup_dirs_;
  state.run_dir = run_dir_;
  state.shared_dir = shared_dir_;
  auto identify = [](pid_t pid) {
    Result<sys::ProcessIdentity> who = sys::identify_process(pid);
    return who ? *who : sys::ProcessIdentity{};  // gone already: nothing to end later
  };
  state.service = identify(::getpid());
  if (vm_) state.qemu = identify(vm_->pid());
  if (virtiofsd_) state.virtiofsd = identify(virtiofsd_->pid());
  // Not fatal: without it a crash of ours leaves processes behind, which is
  // no reason to refuse a sandbox that works.
  if (Result<void> written = write_sandbox_state(state); !written) {
    log::warn("{}", written.error().message());
  }
}

void GuestVm::release() {
  {
    std::lock_guard lock(state_mu_);
    released_ = true;
  }
  heartbeat_.reset();  // it ends the VM through watch_, and reads QEMU's CPU time by pid
  watch_.reset();      // before QEMU and virtiofsd go: their end is ours, not a death
  // Closes the agent socket before its directory goes, unless a call still holds
  // the client: then QEMU's end below closes the connection under it.
  agent_.reset();
  vm_.reset();
  if (virtiofsd_) {
    // Killed at once: waiting for it to notice QEMU's end added tens of ms to every delete.
    Result<sys::ExitStatus> ended = virtiofsd_->stop();
    if (ended && !ended->success() && ended->signal != SIGKILL) {
      log::warn("virtiofsd pid {} ended: {}", virtiofsd_->pid(), ended->describe());
    }
    virtiofsd_.reset();
  }
  if (!shared_dir_.empty()) {
    Result<void> released = resource::release_shared_dir(shared_dir_, shared_dir_created_);
    if (!released) log::warn("{}", released.error().message());
    shared_dir_.clear();
  }
  if (run_dir_.empty()) return;
  Result<void> removed = fs::remove_all(run_dir_);
  if (!removed) log::warn("{}", removed.error().message());
}

}  // namespace kata::runtime
