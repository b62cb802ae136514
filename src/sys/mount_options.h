#pragma once

// mount(8)-style option words split into mount(2) flags and file-system data: one word
// table for the host (container rootfs), the guest agent's storages and the guest
// container engine's spec mounts.
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kata::sys {

struct MountOptions {
  unsigned long flags = 0;        // MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC...
  unsigned long propagation = 0;  // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC)
  // Everything that is not a flag word, joined with ',' for the file system ("lowerdir=/a").
  std::vector<std::string> data;

  std::string data_string() const;
};

// Each element is one option: an element holding ',' would smuggle extra options into
// the data string (e.g. "lowerdir=/a,upperdir=/etc"), so it is refused, as are empty
// elements and NUL bytes. "remount" is refused: nobody may remount through a spec.
Result<MountOptions> parse_mount_options(const std::vector<std::string>& options);

// The same words, judged as runc and crun judge an OCI spec's mounts: nothing is refused
// ("remount" sets MS_REMOUNT, which the caller masks; an element may hold ',', as in an
// SELinux context="...:c1,c2"; empty elements are skipped). For the guest container engine
// only, which applies the spec inside the VM, in the container's mount namespace: there
// the strict checks above would refuse specs runc accepts and protect nothing, since the
// spec's author picks every option anyway. Host-side mounts use parse_mount_options.
MountOptions split_spec_mount_options(const std::vector<std::string>& options);

// The flags of `flags` a bind mount needs applied through a remount (the kernel ignores
// them on the first MS_BIND call): MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, atime flags.
unsigned long bind_remount_flags(unsigned long flags);

// An absolute path without ".", ".." or empty components, no trailing '/', no NUL: what
// a mount target or source must look like before it reaches mount(2). `what` names it
// in the error ("rootfs target `x`: not an absolute path").
Result<void> validate_clean_path(const std::string& path, std::string_view what);

}  // namespace kata::sys
