#pragma once

#include "agent/container/spec.h"
#include "common/result.h"

// The container's file system view, built by the container init in its new
// mount namespace.
namespace kata::agent::container {

// Binds the rootfs onto itself (it need not be a mount point), mounts the
// spec's mounts inside it and populates /dev. Runs before switch_root.
Result<void> prepare_rootfs(const ContainerSpec& spec);

// Makes `root` the process's "/". pivot_root(2) first; on the guest's
// initramfs pivot_root fails with EINVAL (rootfs cannot be unmounted, so the
// kernel refuses to pivot away from it), and the fallback is what runc does
// with --no-pivot: MS_MOVE the rootfs over "/" and chroot into it. Before the
// move, every guest mount outside the rootfs is detached from this mount
// namespace so that nothing of the guest stays reachable beneath the chroot.
Result<void> switch_root(const std::string& root);

// After the switch: sysctls, masked and read-only paths, a read-only root,
// root propagation.
Result<void> finish_rootfs(const ContainerSpec& spec);

}  // namespace kata::agent::container
