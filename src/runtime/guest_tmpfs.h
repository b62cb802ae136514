#pragma once

// Volumes that live in memory on the host live in memory in the guest: the pod's /dev/shm
// and a Kubernetes emptyDir with `medium: Memory` (the kubelet mounts a tmpfs for it) become
// one tmpfs in the guest, shared by the pod's containers, instead of a host tmpfs seen
// through virtio-fs (which is neither memory nor shared memory inside the VM). The size
// and mode are the host tmpfs's. Upstream Kata's "ephemeral" storages.

#include <optional>

#include "agent.pb.h"
#include "oci.pb.h"

namespace kata::runtime {

// Where the guest keeps them.
inline constexpr const char* kGuestSandboxShm = "/run/kata-containers/sandbox/shm";
inline constexpr const char* kGuestEphemeralDir = "/run/kata-containers/sandbox/ephemeral/";

// The storage that a bind mount of a host tmpfs at /dev/shm, or of an emptyDir on a host
// tmpfs, becomes (and the mount is pointed at its guest path); nullopt for any other mount.
std::optional<grpc::Storage> guest_tmpfs_for(grpc::Mount& mount);

}  // namespace kata::runtime
