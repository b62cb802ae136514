// The host's config.json rewritten into the spec the guest agent runs. Upstream's counterpart is
// constrainGRPCSpec in kata_agent.go; where we differ, the comment says why.
#include <string>
#include <vector>

#include "common/strings.h"
#include "oci/oci.h"

namespace kata::oci {

namespace {

// Namespaces: the VM is the pod's network (its NICs are the pod's), so the container shares
// the guest's network namespace and a "network" entry is dropped. Every other path names a
// host /proc/<pid>/ns/* file that does not exist in the guest: the type stays, the path goes.
// Joining a pod sandbox's namespaces is the agent's job: every container of the sandbox that
// lists "ipc" / "uts" shares the sandbox's, and a "pid" path (joins_pid_namespace) becomes
// CreateContainerRequest.sandbox_pidns. Upstream also drops "cgroup"; we keep it, so that
// the container sees its own cgroup as root, as under runc.
void adapt_namespaces(grpc::Linux& linux) {
  auto* namespaces = linux.mutable_namespaces();
  std::vector<grpc::LinuxNamespace> kept;
  for (grpc::LinuxNamespace& ns : *namespaces) {
    if (ns.type() == "network") continue;
    ns.clear_path();
    kept.push_back(std::move(ns));
  }
  namespaces->Clear();
  for (grpc::LinuxNamespace& ns : kept) *namespaces->Add() = std::move(ns);
}

// Resources: only what means the same inside the VM stays.
void adapt_resources(grpc::LinuxResources& res) {
  // Host CPU and NUMA node numbers: the guest has its own vCPUs 0..N-1 and one node.
  if (res.has_cpu()) {
    res.mutable_cpu()->clear_cpus();
    res.mutable_cpu()->clear_mems();
  }
  // Block I/O weights and throttles name host block devices (major:minor); the guest's
  // disks are virtio devices with other numbers, and the host throttles the VM as a whole.
  res.clear_blockio();
  // net_cls/net_prio are cgroup v1 controllers of the host's network; the guest is v2 only.
  res.clear_network();
  // Unified keys of the same kinds: cpuset.* and io.* name host CPUs, nodes and devices.
  auto* unified = res.mutable_unified();
  for (auto it = unified->begin(); it != unified->end();) {
    bool host_only = starts_with(it->first, "cpuset.") || starts_with(it->first, "io.");
    it = host_only ? unified->erase(it) : std::next(it);
  }
  // Kept on purpose: devices (the device cgroup still stops a container from opening the
  // guest's other disks; the agent rewrites the major:minor of hotplugged devices through
  // CreateContainerRequest.devices, as upstream's Rust agent does), memory, pids, hugepages.
}

// A systemd cgroupsPath ("slice:prefix:name") means nothing in a guest without systemd; its
// cgroupfs equivalent keeps the name unique. cgroupfs paths ("/kubepods/.../id") are kept:
// they nest a pod's containers in the guest as on the host.
void adapt_cgroups_path(grpc::Linux& linux) {
  const std::string& path = linux.cgroupspath();
  if (path.empty() || path.starts_with('/')) return;
  std::vector<std::string> parts = split(path, ':', false);
  if (parts.size() != 3) return;
  linux.set_cgroupspath("/" + parts[1] + "/" + parts[2]);
}

}  // namespace

bool joins_pid_namespace(const grpc::Spec& spec) {
  for (const grpc::LinuxNamespace& ns : spec.linux().namespaces()) {
    if (ns.type() == "pid" && !ns.path().empty()) return true;
  }
  return false;
}

// Besides the helpers above:
// - root.path: the container's rootfs as mounted in the guest (readonly is kept).
// - hooks: host programs, run by the host runtime around the VM; the guest cannot run them.
// - selinuxLabel, mountLabel, apparmorProfile: host LSM policy names; the guest loads no
//   policy, and a context= mount option or an unknown profile would fail every start.
// - intelRdt: the host's resctrl; windows, solaris: not Linux.
// Kept: seccomp (the caller drops it when configuration.toml's disable_guest_seccomp says
// so), sysctl (namespaced ones apply to the container's namespaces in the guest), uid and
// gid mappings, linux.devices, maskedPaths, readonlyPaths, annotations, process.
void adapt_for_guest(grpc::Spec& spec, const std::string& guest_rootfs) {
  spec.mutable_root()->set_path(guest_rootfs);
  spec.clear_hooks();
  spec.clear_windows();
  spec.clear_solaris();
  if (spec.has_process()) {
    spec.mutable_process()->clear_selinuxlabel();
    spec.mutable_process()->clear_apparmorprofile();
  }
  if (!spec.has_linux()) return;
  grpc::Linux& linux = *spec.mutable_linux();
  linux.clear_mountlabel();
  linux.clear_intelrdt();
  adapt_namespaces(linux);
  adapt_cgroups_path(linux);
  if (linux.has_resources()) adapt_resources(*linux.mutable_resources());
}

}  // namespace kata::oci
