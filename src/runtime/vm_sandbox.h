#pragma once

#include <memory>
#include <optional>

#include "common/result.h"
#include "resource/host_cgroup.h"
#include "runtime/guest_vm.h"
#include "runtime/sandbox.h"
#include "runtime/sandbox_network.h"

namespace kata::runtime {

// The second half of start_sandbox(), after GuestVm::boot(): the Sandbox over
// `vm`, with the sandbox created in the guest (the VM's share, if it has one,
// mounted there) and `network`, if any, configured in the guest. On failure the
// VM is shut down. `cgroup`, the host cgroup the VM runs in, is removed after it.
// Unit tests hand in a GuestVm booted on fakes.
Result<std::unique_ptr<Sandbox>> start_sandbox_on(
    std::unique_ptr<GuestVm> vm, const SandboxOptions& options,
    std::unique_ptr<SandboxNetwork> network = {},
    std::optional<resource::HostCgroup> cgroup = std::nullopt);

}  // namespace kata::runtime
