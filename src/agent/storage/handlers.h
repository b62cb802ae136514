#pragma once

#include "agent/storage/storage.h"

namespace kata::agent {

// "virtio-fs": mounts the host's virtiofsd share (source = tag, e.g. kataShared) at
// the mount point, loading the virtiofs module first (it may still be loading in the
// background; loading it again is harmless).
Result<StorageResult> add_virtio_fs_storage(const StorageSpec& spec, GuestOs& os);

// "ephemeral": a tmpfs at the mount point (options such as size= go to tmpfs).
Result<StorageResult> add_ephemeral_storage(const StorageSpec& spec, GuestOs& os);

// "local": a directory in the guest's own file system, no mount ("mode=0750" asks for
// its mode, under the agent's umask; default 0777 as upstream: the pod's containers
// share it).
Result<StorageResult> add_local_storage(const StorageSpec& spec, GuestOs& os);

}  // namespace kata::agent
