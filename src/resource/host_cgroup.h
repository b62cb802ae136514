#pragma once

// A sandbox's cgroup on the host (Kata's sandbox_cgroup_only): the sandbox container's
// linux.cgroupsPath made in every hierarchy, as runc makes a container's, so that the
// sandbox service, virtiofsd and QEMU run there and the pod cgroup above it (the
// kubelet's) bounds the whole VM. docs/host-cgroups.md.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "resource/cgroup_hierarchy.h"

namespace kata::resource {

// What the host allows a sandbox; -1 is unlimited.
struct HostLimits {
  int64_t memory_bytes = -1;
  int64_t cpu_quota_us = -1;
  uint64_t cpu_period_us = 100000;

  bool operator==(const HostLimits&) const = default;
};

class HostCgroup {
 public:
  // Makes `cgroups_path` (cgroup_path_in) in each hierarchy, parents included. A
  // cpuset left empty (v1 starts every new cgroup so, and an empty one takes no
  // process) gets its parent's CPUs and memory nodes. On failure the directories made
  // are removed again.
  static Result<HostCgroup> create(std::vector<CgroupHierarchy> hierarchies,
                                   const std::string& cgroups_path);

  HostCgroup(HostCgroup&& other) noexcept;
  HostCgroup& operator=(HostCgroup&&) = delete;
  // remove(), if it has not run: a sandbox that fails to start leaves no cgroup.
  ~HostCgroup();

  // The cgroup's directory in each hierarchy: persist them for cleanup_dirs().
  const std::vector<std::string>& dirs() const { return dirs_; }
  // Moves `pid` (with all its threads) in, in every hierarchy.
  Result<void> add_process(pid_t pid);
  // memory.limit_in_bytes and cpu.cfs_* on v1, memory.max and cpu.max on v2.
  Result<void> set_limits(const HostLimits& limits);
  // Puts this process back where it was when create() ran, then removes the
  // sandbox's own directory in each hierarchy (never the parents: other sandboxes
  // share them, as runc leaves them). The other processes must be gone by then.
  Result<void> remove();

 private:
  HostCgroup() = default;

  std::vector<CgroupHierarchy> hierarchies_;
  std::vector<std::string> dirs_;  // one per hierarchy, in the same order
  bool removed_ = false;           // also true once moved from
};

// For cleanup after the service died: removes the directories state.json names,
// each only if it is a directory below a cgroup mount ("/sys/fs/cgroup/..."), waiting
// a little for the processes just killed to leave it. One already gone is fine.
Result<void> remove_cgroup_dirs(const std::vector<std::string>& dirs);

}  // namespace kata::resource
