#pragma once

// Container rootfs mounts on the host, as containerd hands them over in
// CreateTaskRequest.rootfs: an `overlay` (lowerdir/upperdir/workdir) or a `bind`
// ("rbind", "ro"). They go under the sandbox's shared directory, where virtiofsd
// shows them to the guest (see docs/virtio-fs.md).
#include <sys/mount.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "sys/mount_options.h"
#include "sys/mountinfo.h"

namespace kata::resource {

// One element of CreateTaskRequest.rootfs (containerd's types.Mount, without target).
struct MountSpec {
  std::string type;
  std::string source;
  std::vector<std::string> options;
};

// A MountSpec checked and turned into mount(2) arguments.
struct PlannedMount {
  std::string source;
  std::string fstype;  // "overlay", or "" for a bind mount
  unsigned long flags = 0;
  unsigned long propagation = 0;
  std::string data;
  // A read-only (or nosuid, nodev...) bind needs a second, remounting call: the
  // kernel ignores those flags on the bind itself.
  bool remount = false;
};

using sys::validate_clean_path;

// What every host mount in the shared dir carries (the self bind, each rootfs and each
// bind under it): the guest writes these trees, so nothing in them may act on the host as
// a setuid binary or a device node (nosuid, nodev). noexec as well: no host process runs
// anything from the share (virtiofsd only opens, reads and writes files for the guest,
// which executes them through its own mount), so exec there could only be a host process
// tricked into running what the guest wrote. The guest's own view is not affected: it
// sees the mode bits and device numbers and applies its own mount's flags.
constexpr uint64_t kShareMountAttrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;

// Binds `source` (recursively if asked) on `target`, a directory or a file reached
// without following symlinks, with `attrs` (MOUNT_ATTR_*) already set on every mount of
// the new tree when it is attached (open_tree + mount_setattr + move_mount). A bind then
// remount would not do: under a shared mount the bind propagates as it is made, and the
// later remount reaches none of the copies (virtiofsd's among them).
Result<void> bind_with_attrs(const std::string& source, const std::string& target, bool recursive,
                             uint64_t attrs);

// Checks one spec (type overlay or bind; absolute clean paths; overlay options from a
// known set). Pure: unit-tested without root.
Result<PlannedMount> plan_mount(const MountSpec& spec);

// Creates `target` (absolute, clean, with nothing mounted at or under it yet) and
// mounts `mounts` on it in order, each with kShareMountAttrs (a read-only bind is
// read-only all the way down, its submounts too). The target is reached without following symlinks:
// parts of the shared directory are writable by the guest. On failure everything this
// call mounted is unmounted and a target it created is removed.
Result<void> mount_rootfs(const std::vector<MountSpec>& mounts, const std::string& target);

// Bind-mounts the host file `source` on `target`, a new empty file (its directory is
// created; an existing file is refused), reached without following symlinks, with
// kShareMountAttrs; read-only when asked. On failure nothing is left mounted, nor the file it
// created.
Result<void> bind_file(const std::string& source, const std::string& target, bool read_only);

// Unmounts everything at or under `target`, deepest and newest first; a mount that is
// busy is detached (MNT_DETACH) as a last resort. Fails if mounts remain.
Result<void> unmount_tree(const std::string& target);

// The mounts at or under `prefix` now (from /proc/self/mountinfo): for leak checks and
// crash cleanup.
inline Result<std::vector<sys::MountEntry>> list_mounts_under(const std::string& prefix) {
  return sys::list_mounts_under(prefix);
}

}  // namespace kata::resource
