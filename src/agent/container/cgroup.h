#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/container/container_os.h"
#include "agent/container/spec.h"
#include "common/result.h"

// One container's cgroup v2 directory in the guest.
namespace kata::agent::container {

constexpr char kCgroupRoot[] = "/sys/fs/cgroup";
// Tasks (threads) of the guest that the containers under one top-level cgroup
// ("kubepods", a containerd namespace's) can never take: the agent's, to serve
// kill and delete however many processes a workload makes.
constexpr uint64_t kAgentTaskReserve = 256;
// The controllers the agent enables for containers.
constexpr const char* kControllers[] = {"cpu", "cpuset", "io", "memory", "pids", "hugetlb"};

// The pids.max of a top-level container cgroup: the guest's task limit (the
// lower of kernel.pid_max and kernel.threads-max) less `reserve`. Pure.
uint64_t workload_task_limit(uint64_t pid_max, uint64_t threads_max, uint64_t reserve);

// Where a container's cgroup goes, relative to the cgroup root:
// linux.cgroupsPath when it is a plain path ("/kubepods/pod1/c1"), else
// (empty, or systemd's "slice:prefix:name") kata/<id>. ".." is refused.
Result<std::string> cgroup_relative_path(const std::string& cgroups_path, const std::string& id);

// (file, value) pairs that apply `r`, e.g. {"memory.max", "1048576"}. Pure.
std::vector<std::pair<std::string, std::string>> cgroup_writes(const Resources& r);

// "key value" lines (cpu.stat, memory.stat, memory.events). Pure.
std::map<std::string, uint64_t> parse_flat_keyed(std::string_view text);

struct CgroupStats {
  std::map<std::string, uint64_t> cpu;          // cpu.stat: usage_usec, user_usec, ...
  std::map<std::string, uint64_t> memory;       // memory.stat
  uint64_t memory_current = 0, memory_max = 0;  // 0: no limit
  uint64_t memory_failcnt = 0;                  // memory.events "max"
  uint64_t pids_current = 0, pids_max = 0;      // 0: no limit
};

class Cgroup {
 public:
  // Creates root/relative (and parents), enabling kControllers on the way. A
  // top-level directory it creates gets pids.max = workload_task_limit(...,
  // kAgentTaskReserve): a fork bomb stops there, and the agent keeps threads.
  // Every file access goes through `os`, which must outlive the Cgroup.
  static Result<Cgroup> create(ContainerOs& os, const std::string& root,
                               const std::string& relative);

  const std::string& dir() const { return dir_; }
  Result<void> apply(const Resources& r) const;
  // Replaces the device filter with one for `rules` followed by the default
  // devices (device_filter.h); every container gets one, even with no rules.
  Result<void> restrict_devices(const std::vector<DeviceRule>& rules) const;
  Result<std::vector<pid_t>> pids() const;
  // cgroup.kill when the kernel has it (5.14+) for SIGKILL, else each pid.
  Result<void> signal_all(int sig) const;
  Result<void> freeze(bool frozen) const;
  Result<CgroupStats> stats() const;
  Result<uint64_t> oom_kills() const;
  // rmdir; BUSY while processes remain. Parents made empty by it go too,
  // except the top one below the root ("kata", "kubepods").
  Result<void> remove() const;

 private:
  Cgroup(ContainerOs& os, std::string root, std::string dir)
      : os_(&os), root_(std::move(root)), dir_(std::move(dir)) {}
  ContainerOs* os_;
  std::string root_;
  std::string dir_;
};

}  // namespace kata::agent::container
