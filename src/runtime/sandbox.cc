#include "runtime/sandbox.h"

#include <unistd.h>

#include <map>
#include <mutex>
#include <utility>

#include "common/fs.h"
#include "common/id.h"
#include "common/log.h"
#include "oci/oci.h"
#include "resource/host_cgroup.h"
#include "resource/rootfs.h"
#include "resource/shared_dir.h"
#include "runtime/host_limits.h"
#include "runtime/sandbox_annotations.h"
#include "runtime/sandbox_network.h"
#include "runtime/spec_share.h"
#include "runtime/vm_sandbox.h"

namespace kata::runtime {
namespace {

// How long the guest gives a removed container's processes to die.
constexpr uint32_t kRemoveTimeoutS = 10;
// What the host needs besides guest RAM: QEMU's own heap and device state, virtiofsd
// and the service (a booted pod peaks at 70 MiB of RSS, the guest RAM it touched
// included), with room to spare.
// TCG adds its translation cache, which QEMU sizes to 1 GiB (or an eighth of host RAM
// if smaller) and fills as the guest runs new code.
constexpr uint64_t kHostOverheadMiB = 256;
constexpr uint64_t kTcgCacheMiB = 1024;

grpc::Storage shared_fs_storage() {
  grpc::Storage s;
  s.set_driver("virtio-fs");
  s.set_source(resource::kSharedFsTag);
  s.set_fstype("virtiofs");
  s.set_mount_point(resource::kGuestSharedDir);
  return s;
}

class VmSandbox final : public Sandbox {
 public:
  VmSandbox(SandboxOptions options, std::unique_ptr<GuestVm> vm,
            std::unique_ptr<SandboxNetwork> network, std::optional<resource::HostCgroup> cgroup)
      : options_(std::move(options)),
        vm_(std::move(vm)),
        network_(std::move(network)),
        cgroup_(std::move(cgroup)),
        vmm_pid_(vm_->vm().pid()),
        footprint_{vm_->size().memory_mib, options_.extra.memory_mib,
                   kHostOverheadMiB +
                       (vm_->accel().accel == hypervisor::Accel::kTcg ? kTcgCacheMiB : 0)} {}
  ~VmSandbox() override {
    if (vm_) (void)shutdown();
  }

  const std::string& id() const override { return options_.id; }
  pid_t vmm_pid() const override { return vmm_pid_; }
  std::shared_ptr<agent_client::Agent> agent() override {
    std::lock_guard lock(mu_);
    return vm_ ? vm_->shared_agent() : nullptr;
  }

  bool vm_running() override {
    std::lock_guard lock(mu_);
    return vm_ && !vm_->vm().wait_for_exit(std::chrono::milliseconds(0)).ok();
  }
  std::optional<std::string> vm_death() override {
    std::lock_guard lock(mu_);
    return vm_ ? vm_->death() : std::nullopt;
  }
  void end_vm(const std::string& why) override {
    std::lock_guard lock(mu_);
    if (vm_) vm_->end(why);
  }

  Result<void> create_container(const ContainerConfig& config) override;
  Result<void> update_container(const std::string& container_id,
                                const grpc::LinuxResources& resources) override;
  Result<void> attach_late_network() override {
    if (!network_ || !vm_) return {};
    Result<void> attached = network_->attach_late(vm_->agent());
    // A redirect made on the host is written down even if the guest part failed.
    vm_->record_network(network_->persisted_state());
    return attached;
  }
  Result<void> remove_container(const std::string& container_id) override;
  Result<void> shutdown() override;

 private:
  // A pod's pause container: its limits are not the workload's.
  bool is_pod_sandbox(const std::string& container_id) const {
    return options_.pod && container_id == options_.id;
  }
  std::string container_dir(const std::string& container_id) const {
    return vm_->shared_dir() + "/" + container_id;
  }
  // Unmounts and deletes what the container has in the share.
  Result<void> release_share(const std::string& container_id);
  // The host cgroup's limits from the containers' (runtime/host_limits.h).
  Result<void> apply_host_limits();

  SandboxOptions options_;
  std::unique_ptr<GuestVm> vm_;
  // Null for a VM booted without one (unit tests on fakes). Torn down after the VM.
  std::unique_ptr<SandboxNetwork> network_;
  // Where the service, virtiofsd and QEMU run ([runtime] sandbox_cgroup_only); removed
  // after the VM.
  std::optional<resource::HostCgroup> cgroup_;
  pid_t vmm_pid_;
  VmFootprint footprint_;
  // QemuVm is not thread-safe; vm_running(), vm_death() and end_vm() are called
  // from any thread.
  std::mutex mu_;
  // Each container's share of the host limits; a pod's sandbox container has none.
  std::map<std::string, ContainerLimits> containers_;
};

Result<void> VmSandbox::create_container(const ContainerConfig& config) {
  const std::string what = "create container " + config.id;
  KATA_TRY(validate_id(config.id).context(what));
  if (containers_.count(config.id)) {
    return Error(Code::kAlreadyExists, what + ": it exists in sandbox " + id());
  }
  KATA_ASSIGN_OR_RETURN(grpc::Spec spec, oci::load_bundle_spec(config.bundle).context(what));

  KATA_ASSIGN_OR_RETURN(SharedSpec shared,
                        share_container(spec, config, vm_->shared_dir()).context(what));
  grpc::CreateContainerRequest req;
  req.set_container_id(config.id);
  req.set_exec_id(config.id);
  req.set_sandbox_pidns(oci::joins_pid_namespace(spec));
  *req.mutable_oci() = std::move(shared.spec);
  for (grpc::Storage& storage : shared.storages) *req.add_storages() = std::move(storage);
  Result<void> created = vm_->agent().create_container(req);
  if (!created) {
    (void)release_share(config.id);  // the agent's error is the one to report
    return std::move(created).error().context(what);
  }
  containers_[config.id] = container_limits(spec.linux().resources());
  if (Result<void> limited = apply_host_limits(); !limited) {
    log::warn("{}: {}", what, limited.error().message());  // the container runs regardless
  }
  return {};
}

Result<void> VmSandbox::update_container(const std::string& container_id,
                                         const grpc::LinuxResources& resources) {
  auto it = containers_.find(container_id);
  if (it == containers_.end()) {
    return Error(Code::kNotFound, "no container " + container_id + " in sandbox " + id());
  }
  grpc::UpdateContainerRequest req;
  req.set_container_id(container_id);
  *req.mutable_resources() = resources;
  KATA_TRY(vm_->agent().update_container(req));
  it->second = container_limits(resources);
  return apply_host_limits().context("the sandbox's host cgroup");
}

Result<void> VmSandbox::apply_host_limits() {
  if (!cgroup_) return {};
  std::vector<ContainerLimits> workload;
  for (const auto& [container_id, limits] : containers_) {
    if (!is_pod_sandbox(container_id)) workload.push_back(limits);
  }
  return cgroup_->set_limits(sandbox_host_limits(workload, footprint_));
}

Result<void> VmSandbox::remove_container(const std::string& container_id) {
  const std::string what = "remove container " + container_id;
  if (!containers_.count(container_id)) {
    return Error(Code::kNotFound, what + ": no such container in sandbox " + id());
  }
  // A dead VM has nothing left to remove; the host side still has to go.
  Result<void> removed =
      vm_running() ? vm_->agent().remove_container(container_id, kRemoveTimeoutS) : Result<void>();
  Result<void> released = release_share(container_id);
  containers_.erase(container_id);
  if (Result<void> limited = apply_host_limits(); !limited) {
    log::warn("{}: {}", what, limited.error().message());
  }
  if (!removed) return std::move(removed).error().context(what);
  return std::move(released).context(what);
}

Result<void> VmSandbox::release_share(const std::string& container_id) {
  std::string dir = container_dir(container_id);
  KATA_TRY(resource::unmount_tree(dir));
  return fs::remove_all(dir);
}

Result<void> VmSandbox::shutdown() {
  std::unique_ptr<GuestVm> vm;
  {
    // Taken out first: from here the thread-safe calls see no VM at all,
    // rather than one being torn down under them.
    std::lock_guard lock(mu_);
    vm = std::move(vm_);
  }
  if (!vm) return Error(Code::kFailedPrecondition, "shut down sandbox " + id() + ": already down");
  // destroy() unmounts whatever is left under the share, rootfs included.
  Result<void> down = vm->destroy();
  containers_.clear();
  if (network_) {
    // After QEMU: its taps close with it. What stays is ours on the caller's veths.
    Result<void> unlinked = network_->teardown();
    if (down && !unlinked) down = std::move(unlinked);
  }
  if (cgroup_) {
    // Last: QEMU and virtiofsd have left it by now; this process leaves it here.
    Result<void> removed = cgroup_->remove();
    if (down && !removed) down = std::move(removed);
  }
  return std::move(down).context("shut down sandbox " + id());
}

// With [runtime] sandbox_cgroup_only: the sandbox's host cgroup, with this process in
// it, so that virtiofsd and QEMU start there.
Result<std::optional<resource::HostCgroup>> enter_host_cgroup(const config::Config& config,
                                                              const SandboxOptions& options) {
  if (!config.runtime.sandbox_cgroup_only || options.cgroups_path.empty())
    return std::optional<resource::HostCgroup>();
  if (options.cgroups_path.find(':') != std::string::npos) {
    // systemd's slice:prefix:name: only systemd places processes there (dockerd's default
    // on systemd hosts). The sandbox runs, in the service's cgroup, and says so.
    log::warn("sandbox {}: cgroupsPath `{}` is systemd's form; the VM stays in the shim's cgroup",
              options.id, options.cgroups_path);
    return std::optional<resource::HostCgroup>();
  }
  KATA_ASSIGN_OR_RETURN(std::vector<resource::CgroupHierarchy> hierarchies,
                        resource::host_cgroup_hierarchies());
  KATA_ASSIGN_OR_RETURN(resource::HostCgroup cgroup,
                        resource::HostCgroup::create(std::move(hierarchies), options.cgroups_path));
  KATA_TRY(cgroup.add_process(::getpid()).context("enter the sandbox's host cgroup"));
  return std::optional(std::move(cgroup));
}

}  // namespace

Result<std::unique_ptr<Sandbox>> start_sandbox(const config::Config& configured,
                                               const SandboxOptions& options) {
  const std::string what = "start sandbox " + options.id;
  KATA_TRY(validate_id(options.id).context(what));
  KATA_ASSIGN_OR_RETURN(
      config::Config config,
      apply_sandbox_annotations(configured, options.hypervisor_annotations).context(what));
  // Removed again by its destructor if the start fails.
  KATA_ASSIGN_OR_RETURN(std::optional<resource::HostCgroup> cgroup,
                        enter_host_cgroup(config, options).context(what));
  BootOptions boot;
  boot.id = options.id;
  boot.run_root = options.run_root;
  boot.shared_dir = resource::sandbox_shared_dir(options.id, options.shared_root);
  if (cgroup) boot.cgroup_dirs = cgroup->dirs();
  // Before QEMU: it is spawned into the namespace, with the taps made there.
  KATA_ASSIGN_OR_RETURN(std::unique_ptr<SandboxNetwork> network,
                        SandboxNetwork::open(NetworkOptions{options.network_namespace,
                                                            config.runtime.internetworking_model})
                            .context(what));
  boot.nics = network->nics();
  boot.network_namespace_fd = network->netns_fd();
  boot.network_state = network->persisted_state();
  boot.extra = options.extra;
  KATA_ASSIGN_OR_RETURN(std::unique_ptr<GuestVm> vm, GuestVm::boot(config, boot).context(what));
  return start_sandbox_on(std::move(vm), options, std::move(network), std::move(cgroup));
}

Result<std::unique_ptr<Sandbox>> start_sandbox_on(std::unique_ptr<GuestVm> vm,
                                                  const SandboxOptions& options,
                                                  std::unique_ptr<SandboxNetwork> network,
                                                  std::optional<resource::HostCgroup> cgroup) {
  const std::string what = "start sandbox " + options.id;
  agent_client::SandboxSpec spec;
  spec.sandbox_id = options.id;
  spec.hostname = options.hostname;
  if (!vm->shared_dir().empty()) spec.storages.push_back(shared_fs_storage());
  SandboxNetwork* net = network.get();
  auto sandbox =
      std::make_unique<VmSandbox>(options, std::move(vm), std::move(network), std::move(cgroup));
  Result<void> created = sandbox->agent()->create_sandbox(spec);
  // The guest's interfaces, routes and neighbours, before any container runs.
  if (created && net) created = net->configure_guest(*sandbox->agent());
  if (!created) return std::move(created).error().context(what);  // ~VmSandbox tears down
  log::info("sandbox {} ready: QEMU pid {}", options.id, sandbox->vmm_pid());
  return std::unique_ptr<Sandbox>(std::move(sandbox));
}

}  // namespace kata::runtime
