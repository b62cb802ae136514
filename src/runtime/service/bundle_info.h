#pragma once

#include <map>
#include <string>

#include "common/result.h"
#include "runtime/vm_size.h"

namespace kata::runtime::service {

// How a container relates to its VM, from the CRI annotations of its spec.
enum class ContainerKind {
  kSingle,        // no annotation (ctr run, nerdctl, podman): a VM of its own
  kPodSandbox,    // the pod's sandbox (pause) container: creates the VM
  kPodContainer,  // joins the VM of `sandbox_id`
};

struct BundleInfo {
  ContainerKind kind = ContainerKind::kSingle;
  std::string sandbox_id;  // kPodContainer: the sandbox it joins
  std::string hostname;
  // The path of linux.namespaces' network entry; "" for a new namespace, as runc makes.
  std::string network_namespace;
  // kSingle and kPodSandbox: an error when the spec asks for a host namespace a VM cannot
  // share (oci::refuse_host_namespaces), for whoever would make the VM to refuse. Kept
  // apart so that `shim delete` can still read the bundle of a refused container.
  Status own_namespaces;
  // kSingle and kPodSandbox: what the container's limits add to the VM it makes.
  VmSize extra;
  // linux.cgroupsPath: for kSingle and kPodSandbox, the sandbox's host cgroup.
  std::string cgroups_path;
  // kSingle and kPodSandbox: Kata's io.katacontainers.config.hypervisor.* annotations.
  std::map<std::string, std::string> hypervisor_annotations;
};

// From `<bundle_dir>/config.json` (src/oci: the CRI, CRI-O and dockershim
// annotations). A spec that does not parse, an unknown container type or a
// pod container without a sandbox id is INVALID_ARGUMENT.
Result<BundleInfo> read_bundle_info(const std::string& bundle_dir);

}  // namespace kata::runtime::service
