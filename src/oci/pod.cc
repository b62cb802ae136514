// Kubernetes pod semantics from the annotations a CRI manager writes into config.json.
#include <fmt/format.h>

#include <array>
#include <optional>

#include "common/id.h"
#include "oci/oci.h"

namespace kata::oci {

namespace {

struct Manager {
  std::string_view name;
  std::string_view type_key;
  std::string_view sandbox_value;    // the type value of the pod sandbox (pause) container
  std::string_view container_value;  // the type value of a container that joins it
  std::string_view sandbox_id_key;
};

// Kata: src/runtime/pkg/oci/utils.go (CRIContainerTypeKeyList, CRISandboxNameKeyList).
constexpr std::array<Manager, 3> kManagers = {{
    {"containerd", "io.kubernetes.cri.container-type", "sandbox", "container",
     "io.kubernetes.cri.sandbox-id"},
    {"CRI-O", "io.kubernetes.cri-o.ContainerType", "sandbox", "container",
     "io.kubernetes.cri-o.SandboxID"},
    {"dockershim", "io.kubernetes.docker.type", "podsandbox", "container",
     "io.kubernetes.sandbox.id"},
}};

Error invalid(std::string message) { return Error(Code::kInvalidArgument, std::move(message)); }

// The sandbox id names directories (/run/kata-containers/<id>/) and sockets.
Status check_sandbox_id(std::string_view id, std::string_view key) {
  return validate_id(id).context(fmt::format("annotation {}", key));
}

Result<std::optional<PodInfo>> from_manager(const grpc::Spec& spec, const Manager& m) {
  const auto& annotations = spec.annotations();
  auto type = annotations.find(std::string(m.type_key));
  if (type == annotations.end()) return std::optional<PodInfo>();
  PodInfo info;
  if (type->second == m.sandbox_value) {
    info.type = ContainerType::kPodSandbox;
  } else if (type->second == m.container_value) {
    info.type = ContainerType::kPodContainer;
  } else {
    return invalid(fmt::format("annotation {}: unknown container type `{}` (expected {} or {})",
                               m.type_key, type->second, m.sandbox_value, m.container_value));
  }
  auto id = annotations.find(std::string(m.sandbox_id_key));
  if (id != annotations.end()) {
    KATA_TRY(check_sandbox_id(id->second, m.sandbox_id_key));
    info.sandbox_id = id->second;
  } else if (info.type == ContainerType::kPodContainer) {
    return invalid(
        fmt::format("annotation {}: must be set for a {} pod container", m.sandbox_id_key, m.name));
  }
  return std::optional<PodInfo>(std::move(info));
}

}  // namespace

Result<PodInfo> pod_info(const grpc::Spec& spec) {
  std::optional<PodInfo> found;
  std::string_view found_by;
  for (const Manager& m : kManagers) {
    KATA_ASSIGN_OR_RETURN(std::optional<PodInfo> info, from_manager(spec, m));
    if (!info) continue;
    // Two managers' annotations that disagree: guessing would put the container in the
    // wrong VM, so refuse.
    if (found && (found->type != info->type || found->sandbox_id != info->sandbox_id)) {
      return invalid(fmt::format("pod annotations of {} and {} disagree", found_by, m.name));
    }
    found = std::move(info);
    found_by = m.name;
  }
  if (!found) return PodInfo{ContainerType::kSingle, ""};
  return std::move(*found);
}

}  // namespace kata::oci
