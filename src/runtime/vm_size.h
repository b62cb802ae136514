#pragma once

#include <cstdint>

namespace kata::runtime {

// vCPUs and guest RAM of a VM.
struct VmSize {
  uint64_t vcpus = 0;
  uint64_t memory_mib = 0;
};

// The VM for a container with limits: the configured defaults plus what the container's
// limits add (oci::container_size), as upstream Kata sizes a sandbox statically. microvm
// has no CPU or memory hotplug, so the size is settled at boot. Capped at `host` (upstream's
// default_maxvcpus and default_maxmemory default to the host's too): a limit above what the
// host has cannot be met either way, and QEMU would refuse more vCPUs than it may run.
// Never below the defaults.
VmSize size_vm(VmSize defaults, VmSize extra, VmSize host);

// This host's online CPUs and physical memory.
VmSize host_size();

}  // namespace kata::runtime
