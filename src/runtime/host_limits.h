#pragma once

// What the host allows a sandbox's processes (QEMU, virtiofsd, the service), from its
// containers' limits: the pod's limits bound the VM on the host as they bound the
// containers in the guest (docs/host-cgroups.md).
#include <cstdint>
#include <vector>

#include "oci.pb.h"
#include "resource/host_cgroup.h"

namespace kata::runtime {

// One container's share of the sandbox's host limits; -1: none set.
struct ContainerLimits {
  int64_t memory_bytes = -1;
  int64_t cpu_quota_us = -1;
  uint64_t cpu_period_us = 0;
};

ContainerLimits container_limits(const grpc::LinuxResources& resources);

struct VmFootprint {
  uint64_t memory_mib = 0;        // the guest RAM the VM booted with
  uint64_t extra_memory_mib = 0;  // what the containers' limits added to it at boot
  uint64_t overhead_mib = 0;      // QEMU's own memory besides guest RAM, virtiofsd, the service
};

// Memory: the VM's RAM plus its overhead, raised when the containers' limits grow past
// what they added at boot, and never lower (the guest fills its RAM with page cache:
// a host limit under it would kill QEMU, not a container). CPU: the sum of the
// containers' quotas (over a 100 ms period) when every one of them has a quota, as the
// kubelet bounds a pod; unlimited otherwise, and while there is none.
resource::HostLimits sandbox_host_limits(const std::vector<ContainerLimits>& containers,
                                         const VmFootprint& vm);

}  // namespace kata::runtime
