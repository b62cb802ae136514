#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "oci.pb.h"
#include "runtime/sandbox.h"

namespace kata::runtime {

struct SharedSpec {
  grpc::Spec spec;  // as the guest must see it (CreateContainerRequest.OCI)
  // What the agent sets up before the container (CreateContainerRequest.storages): the
  // guest tmpfs volumes of guest_tmpfs.h.
  std::vector<grpc::Storage> storages;
};

// Puts what a container needs from the host into the sandbox's share
// (`shared_dir`/<container id>/): its rootfs (containerd's mounts, or the
// bundle's rootfs directory) and the source of every bind mount of a host
// directory (but for the volumes that become guest tmpfs), then rewrites the spec to the
// guest's paths. On failure nothing
// of it stays mounted.
Result<SharedSpec> share_container(grpc::Spec spec, const ContainerConfig& config,
                                   const std::string& shared_dir);

}  // namespace kata::runtime
