#pragma once

#include <string>

#include "common/result.h"

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
  // The path of linux.namespaces' network entry. "" when it has none (a new
  // namespace, as runc makes) and also when the spec has no network entry at all
  // (runc's host network): a VM cannot share the host's, so it gets its own.
  std::string network_namespace;
};

// From `<bundle_dir>/config.json` (src/oci: the CRI, CRI-O and dockershim
// annotations). A spec that does not parse, an unknown container type or a
// pod container without a sandbox id is INVALID_ARGUMENT.
Result<BundleInfo> read_bundle_info(const std::string& bundle_dir);

}  // namespace kata::runtime::service
