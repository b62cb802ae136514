#include "runtime/service/bundle_info.h"

#include <algorithm>

#include "common/strings.h"
#include "oci/oci.h"
#include "runtime/sandbox_annotations.h"

namespace kata::runtime::service {
namespace {

// What the container's limits add to the VM it makes; for a pod's sandbox container the
// pod's limits, which CRI passes in annotations (the pause container has none itself).
VmSize extra_for(const grpc::Spec& spec) {
  oci::ContainerSize own = oci::container_size(spec), pod = oci::pod_size(spec);
  return {std::max(own.vcpus, pod.vcpus), std::max(own.memory_mib, pod.memory_mib)};
}

}  // namespace

Result<BundleInfo> read_bundle_info(const std::string& bundle_dir) {
  KATA_ASSIGN_OR_RETURN(grpc::Spec spec, oci::load_bundle_spec(bundle_dir));
  KATA_ASSIGN_OR_RETURN(oci::PodInfo pod, oci::pod_info(spec));
  BundleInfo info;
  info.hostname = spec.hostname();
  info.sandbox_id = pod.sandbox_id;
  info.cgroups_path = spec.linux().cgroupspath();
  for (const auto& [name, value] : spec.annotations()) {
    if (starts_with(name, kHypervisorAnnotationPrefix)) info.hypervisor_annotations[name] = value;
  }
  for (const grpc::LinuxNamespace& ns : spec.linux().namespaces()) {
    if (ns.type() == "network") info.network_namespace = ns.path();
  }
  switch (pod.type) {
    case oci::ContainerType::kSingle:
      info.kind = ContainerKind::kSingle;
      info.own_namespaces = oci::refuse_host_namespaces(spec);
      info.extra = extra_for(spec);
      break;
    case oci::ContainerType::kPodSandbox:
      info.kind = ContainerKind::kPodSandbox;
      info.own_namespaces = oci::refuse_host_namespaces(spec);
      info.extra = extra_for(spec);
      break;
    case oci::ContainerType::kPodContainer:
      info.kind = ContainerKind::kPodContainer;
      break;
  }
  return info;
}

}  // namespace kata::runtime::service
