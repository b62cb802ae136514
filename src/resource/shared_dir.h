#pragma once

// The per-sandbox host directory that virtiofsd shares with the guest (tag kataShared).
// Layout and reasons: docs/virtio-fs.md.
#include <string>
#include <string_view>

#include "common/result.h"

namespace kata::resource {

constexpr char kSharedSandboxesRoot[] = "/run/kata-containers/shared/sandboxes";
// The virtio-fs tag and where the guest mounts it (upstream Kata's names).
constexpr char kSharedFsTag[] = "kataShared";
constexpr char kGuestSharedDir[] = "/run/kata-containers/shared/containers/";

// <root>/<sandbox id>; the id must have been validated (kata::validate_id).
std::string sandbox_shared_dir(std::string_view sandbox_id,
                               std::string_view root = kSharedSandboxesRoot);
// <shared dir>/<container id>/rootfs: where mount_rootfs puts a container's rootfs; the
// guest sees it as kGuestSharedDir + "<container id>/rootfs".
std::string container_rootfs_dir(std::string_view shared_dir, std::string_view container_id);

// Creates `dir` and bind-mounts it onto itself, nosuid,nodev,noexec (the guest writes
// it: see kShareMountAttrs), as a shared mount (MS_SHARED), so that
// rootfs mounted under it after virtiofsd started propagate into virtiofsd's mount
// namespace (virtiofsd turns its copy into a slave). A mount already at `dir` is an
// error (ALREADY_EXISTS): run release_shared_dir first.
Result<void> prepare_shared_dir(const std::string& dir);

// Unmounts everything at or under `dir` (the self bind and any rootfs left), then, if
// `remove`, deletes `dir` with its contents: only once no mount remains, so a leaked
// bind mount never lets the deletion reach into the host. A missing `dir` is fine.
Result<void> release_shared_dir(const std::string& dir, bool remove);

}  // namespace kata::resource
