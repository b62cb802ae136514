#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// What the container engine is asked to run, in its own terms: rpc/
// container_convert maps grpc.Spec (oci.proto) onto these, and the container
// init (a re-exec of the agent) receives them over its setup socket.
namespace kata::agent::container {

struct Mount {
  std::string destination;  // absolute, inside the container
  std::string source;
  std::string type;  // "bind", "proc", "tmpfs", "cgroup", ...
  std::vector<std::string> options;
};

// uid/gid may be given as numbers or, in `username` / `group_names`, as names
// that are resolved in the container's /etc/passwd and /etc/group.
struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
  std::string username;  // non-empty: overrides uid (and gid, unless `group` is set)
  std::string group;     // non-empty: overrides gid
  std::vector<std::string> additional_groups;  // names or numbers, added to additional_gids
};

struct Capabilities {
  std::vector<std::string> bounding, effective, inheritable, permitted, ambient;  // "CAP_CHOWN"
};

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE"
  uint64_t hard = 0;
  uint64_t soft = 0;
};

struct ProcessSpec {
  bool terminal = false;
  uint32_t rows = 0, columns = 0;  // 0: leave the kernel's default
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;  // "KEY=value"
  std::string cwd = "/";
  std::optional<Capabilities> capabilities;  // absent: keep every capability
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
  std::optional<uint32_t> umask;  // absent: 0022
};

struct Device {
  std::string path;
  char type = 'c';  // 'c', 'b', 'p'
  int64_t major = 0, minor = 0;
  uint32_t file_mode = 0666;
  uint32_t uid = 0, gid = 0;
};

// One linux.resources.devices rule.
struct DeviceRule {
  bool allow = false;
  char type = 'a';                 // 'a' (all: major, minor and access are ignored), 'c', 'b'
  int64_t major = -1, minor = -1;  // -1: any
  std::string access = "rwm";      // any of r, w, m
};

// cgroup v2 limits; absent fields stay unlimited / unchanged.
struct Resources {
  std::optional<int64_t> memory_limit;  // bytes, memory.max
  std::optional<int64_t> memory_swap;   // memory+swap bytes (OCI), memory.swap.max = swap - limit
  std::optional<int64_t> memory_reservation;  // memory.low
  std::optional<int64_t> cpu_quota;           // us per period, cpu.max
  std::optional<uint64_t> cpu_period;
  std::optional<uint64_t> cpu_shares;  // cgroup v1 shares, mapped to cpu.weight
  std::string cpuset_cpus, cpuset_mems;
  std::optional<int64_t> pids_limit;                              // pids.max; <= 0 = max
  std::vector<std::pair<std::string, uint64_t>> hugepage_limits;  // ("2MB", bytes)
  std::map<std::string, std::string> unified;  // cgroup v2 file -> value, written as is
  // linux.resources.devices, enforced by an eBPF device program (device_filter.h).
  std::vector<DeviceRule> devices;
};

struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0, value_two = 0;
  std::string op;  // "SCMP_CMP_EQ"
};

struct SeccompRule {
  std::vector<std::string> names;
  std::string action;  // "SCMP_ACT_ERRNO"
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
};

struct Seccomp {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;  // absent: EPERM
  std::vector<std::string> architectures;
  std::vector<std::string> flags;
  std::vector<SeccompRule> rules;
};

struct ContainerSpec {
  std::string id;
  std::string root_path;  // absolute guest path
  bool root_readonly = false;
  std::string hostname;
  std::string domainname;
  std::vector<Mount> mounts;
  ProcessSpec process;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::map<std::string, std::string> sysctls;
  std::vector<Device> devices;
  std::string cgroups_path;  // as given; the engine places it under /sys/fs/cgroup
  Resources resources;
  std::optional<Seccomp> seccomp;
  std::string rootfs_propagation;  // "", "private", "rslave", ...
  bool cgroup_namespace = false;   // a new cgroup namespace rooted at the container's cgroup
  // linux.namespaces lists "ipc" / "uts": in a sandbox (Engine::open_sandbox) the container
  // joins the sandbox's shared ones, as a pod's containers share the pause container's under
  // runc. Without a sandbox, or without the entry, it gets new ones.
  bool ipc_namespace = false;
  bool uts_namespace = false;
  // CreateContainerRequest.sandbox_pidns: the container's processes live in the pid namespace
  // of the sandbox container's init (a pod's shareProcessNamespace) instead of a new one.
  bool sandbox_pidns = false;
};

}  // namespace kata::agent::container
