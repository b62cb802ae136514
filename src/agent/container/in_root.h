#pragma once

#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

// Path resolution inside a container's rootfs: every symlink, absolute or
// relative, and every ".." resolves as if the rootfs were "/", so a mount
// destination like /data -> /etc (or -> ../../..) lands inside the rootfs.
namespace kata::agent::container {

enum class Leaf { kDirectory, kFile };

// Opens `path` (absolute, as the container sees it) below `root_fd` with
// O_PATH, through openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS). With
// `create`, missing components are made as directories (the last one as
// `leaf`), following dangling symlinks inside the root as well.
Result<UniqueFd> open_in_root(int root_fd, const std::string& path, bool create,
                              Leaf leaf = Leaf::kDirectory);

// "/proc/self/fd/N": a path to hand to mount(2) for an fd from open_in_root.
std::string fd_path(int fd);

}  // namespace kata::agent::container
