#pragma once

// The cgroup hierarchies a host process can be placed in: where each is mounted and
// where this process sits in it. Read from /proc/self/cgroup and /proc/self/mountinfo,
// so that a host with cgroup v1 (one hierarchy per controller set, as here), v2 (one
// unified tree) or a mount of a subtree (a container's view) is met as it is.
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kata::resource {

struct CgroupHierarchy {
  std::string mount_point;  // "/sys/fs/cgroup/memory"
  // v1: the hierarchy's controllers as /proc/self/cgroup lists them ("cpu,cpuacct",
  // "memory", "name=systemd"); v2: "".
  std::string controllers;
  // This process's cgroup, relative to the mount point ("/" at its root).
  std::string own_path;
  bool unified = false;

  bool has(std::string_view controller) const;
  // The directory of `path` (a cgroup relative to the hierarchy's root).
  std::string dir(std::string_view path) const;
};

// Every mounted v1 hierarchy this process is in; the unified tree only on a host
// without v1 controllers (a hybrid host's unified tree holds no controller).
std::vector<CgroupHierarchy> parse_cgroup_hierarchies(std::string_view proc_cgroup,
                                                      std::string_view mountinfo);
// The same over /proc/self; FAILED_PRECONDITION when no hierarchy is mounted.
Result<std::vector<CgroupHierarchy>> host_cgroup_hierarchies();

// An OCI linux.cgroupsPath as a path below a hierarchy's root: an absolute one as it
// is, a relative one below `own_path` (as runc takes it). INVALID_ARGUMENT for "." or
// ".." components (it must not climb out), and for systemd's "slice:prefix:name"
// form, which needs systemd to place processes.
Result<std::string> cgroup_path_in(const CgroupHierarchy& hierarchy, std::string_view cgroups_path);

}  // namespace kata::resource
