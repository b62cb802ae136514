#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent_client/agent.h"
#include "common/result.h"
#include "config/config.h"
#include "resource/rootfs.h"
#include "runtime/guest_vm.h"

namespace kata::runtime {

constexpr char kDefaultSharedRoot[] = "/run/kata-containers/shared/sandboxes";

// One rootfs mount as containerd passes it in CreateTaskRequest.rootfs
// (typically one `overlay`, or a `bind` for the native snapshotter).
using RootfsMount = resource::MountSpec;

struct ContainerConfig {
  std::string id;
  std::string bundle;  // the OCI bundle: holds config.json
  // Empty: the spec's root.path (under the bundle) is shared as is.
  std::vector<RootfsMount> rootfs;
};

struct SandboxOptions {
  std::string id;                                // sandbox id: validated, names every directory
  std::string hostname;                          // the guest's; usually the first spec's hostname
  std::string run_root = kDefaultRunRoot;        // run dir = run_root/id (QEMU, sockets, state)
  std::string shared_root = kDefaultSharedRoot;  // shared dir = shared_root/id (virtio-fs)
  // The network namespace the caller prepared (CNI's, podman's): a path to an
  // nsfs file. "" = a fresh one of the sandbox's own. QEMU runs in it, and its
  // interfaces are carried into the guest (runtime/sandbox_network.h).
  std::string network_namespace;
  // What the first container's limits add to the configured VM size (oci::container_size);
  // capped at the host (runtime/vm_size.h).
  VmSize extra = {};
  // The first container's linux.cgroupsPath: with [runtime] sandbox_cgroup_only, the
  // sandbox's host cgroup, where the service, virtiofsd and QEMU run
  // (resource/host_cgroup.h). "" leaves them where the service is.
  std::string cgroups_path;
  // The first container is a pod's sandbox (pause) container: its limits are not the
  // workload's, and the host limits come from the containers that join it.
  bool pod = false;
  // Its io.katacontainers.config.hypervisor.* annotations (runtime/sandbox_annotations.h).
  std::map<std::string, std::string> hypervisor_annotations;
};

// One running sandbox: the VM, its agent, its virtio-fs share and its
// containers' rootfs mounts. The sandbox service (the shim) owns one.
// Not thread-safe for create/remove/shutdown; agent(), vm_running(), vm_death()
// and end_vm() are.
class Sandbox {
 public:
  virtual ~Sandbox() = default;

  virtual const std::string& id() const = 0;
  // The task pid containerd sees: the shim cannot see guest pids.
  virtual pid_t vmm_pid() const = 0;
  // False once QEMU has exited (crash, kill, guest power-off).
  virtual bool vm_running() = 0;
  // What ended the VM behind the service's back ("virtiofsd (pid 12) exited
  // ..."), nullopt while it runs or after shutdown(). Thread-safe.
  virtual std::optional<std::string> vm_death() = 0;
  // The last resort when the agent cannot serve a kill or a delete (its threads
  // exhausted by the workload, hung): QEMU is killed at once, every pending
  // agent call fails and every process counts as exited. Nothing is released:
  // remove_container() and shutdown() still do that. Thread-safe.
  virtual void end_vm(const std::string& why) = 0;
  // The agent client, shared so that a call in flight keeps it alive through
  // shutdown() (which ends the VM and so fails that call). Null once shut down.
  virtual std::shared_ptr<agent_client::Agent> agent() = 0;

  // Mounts the rootfs into the share, converts the bundle's config.json for
  // the guest and creates the container there (its init not started yet).
  // On failure nothing of the container remains.
  virtual Result<void> create_container(const ContainerConfig& config) = 0;
  // UpdateContainer in the guest, then the sandbox's host limits recomputed with the
  // container's new ones (runtime/host_limits.h).
  virtual Result<void> update_container(const std::string& container_id,
                                        const grpc::LinuxResources& resources) = 0;
  // Carries into the guest an interface that appeared in the sandbox's network
  // namespace after boot (`ctr run --cni` adds it once the task exists), on the
  // NIC provisioned at boot for it. Nothing new: ok. Called before each Start.
  virtual Result<void> attach_late_network() = 0;
  // RemoveContainer in the guest (kills what still runs), then unmounts the
  // container's rootfs from the share. Also works when the VM is gone.
  virtual Result<void> remove_container(const std::string& container_id) = 0;
  // QEMU and virtiofsd killed (GuestVm::destroy), and every mount, socket and
  // directory of the sandbox removed. Also works when the VM is gone.
  virtual Result<void> shutdown() = 0;
};

// Boots the VM with its share, creates the sandbox in the guest and persists
// what cleanup_sandbox() needs under run_root/id.
Result<std::unique_ptr<Sandbox>> start_sandbox(const config::Config& config,
                                               const SandboxOptions& options);

// For `containerd-shim-kata-v2 delete` after the sandbox service died: stops
// the processes named by the persisted state (QEMU, virtiofsd), unmounts and
// removes the sandbox's directories. A sandbox with no state left is OK.
Result<void> cleanup_sandbox(const SandboxOptions& options);

}  // namespace kata::runtime
