// Validation of a decoded spec, exec process or resource update. The numeric bounds below were
// measured against runc 1.1.5 (`runc run` with crafted config.json files) unless said otherwise;
// docs/oci.md lists them with runc's verdicts.
#include "oci/validate.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <set>
#include <string_view>
#include <vector>

namespace kata::oci {

namespace {

Error invalid(std::string message) { return Error(Code::kInvalidArgument, std::move(message)); }

bool absolute(std::string_view path) { return path.starts_with('/'); }

Status require_absolute(std::string_view path, const std::string& where) {
  if (path.empty()) return invalid(where + ": must not be empty");
  if (!absolute(path)) {
    return invalid(fmt::format("{}: must be an absolute path, got `{}`", where, path));
  }
  return {};
}

// runc refuses ids above INT32_MAX when it sets up the user ("uids and gids must be in range
// 0-2147483647"): Go's syscall takes them as int. 4294967295 is also (uid_t)-1, which
// setresuid(2) reads as "leave unchanged", so the process would keep running as root.
constexpr uint32_t kMaxId = 2147483647;

Status check_id(uint32_t id, const std::string& where) {
  if (id <= kMaxId) return {};
  return invalid(fmt::format("{}: {} is out of range: uids and gids must be in range 0-{}", where,
                             id, kMaxId));
}

Status validate_user(const grpc::User& user, const std::string& prefix) {
  KATA_TRY(check_id(user.uid(), prefix + "user.uid"));
  KATA_TRY(check_id(user.gid(), prefix + "user.gid"));
  for (int i = 0; i < user.additionalgids_size(); ++i) {
    KATA_TRY(check_id(user.additionalgids(i), fmt::format("{}user.additionalGids[{}]", prefix, i)));
  }
  return {};
}

// The rlimits Linux knows (setrlimit(2)); anything else would fail late, inside the guest.
constexpr std::array<std::string_view, 16> kRlimits = {
    "RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",        "RLIMIT_DATA",
    "RLIMIT_FSIZE",  "RLIMIT_LOCKS",  "RLIMIT_MEMLOCK",    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",   "RLIMIT_NOFILE", "RLIMIT_NPROC",      "RLIMIT_RSS",
    "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK"};

// runc cannot start a process whose RLIMIT_NOFILE soft limit is below 7 ("error closing exec
// fds: open /proc/self/fd: too many open files"); 7 starts. Our agent applies rlimits at the
// last moment and would start it, leaving a process that cannot open anything: refuse as runc.
constexpr uint64_t kMinNofile = 7;

Status validate_rlimits(const grpc::Process& p, const std::string& prefix) {
  std::set<std::string> seen;
  for (int i = 0; i < p.rlimits_size(); ++i) {
    const grpc::POSIXRlimit& rl = p.rlimits(i);
    std::string where = fmt::format("{}rlimits[{}]", prefix, i);
    if (std::find(kRlimits.begin(), kRlimits.end(), rl.type()) == kRlimits.end()) {
      return invalid(fmt::format("{}.type: unknown rlimit `{}`", where, rl.type()));
    }
    if (!seen.insert(rl.type()).second) {
      return invalid(fmt::format("{}.type: `{}` is set twice", where, rl.type()));
    }
    if (rl.soft() > rl.hard()) {
      return invalid(
          fmt::format("{}: soft limit {} is above hard limit {}", where, rl.soft(), rl.hard()));
    }
    if (rl.type() == "RLIMIT_NOFILE" && rl.soft() < kMinNofile) {
      return invalid(fmt::format(
          "{}.soft: RLIMIT_NOFILE {} is below {}: too few open files to start the process", where,
          rl.soft(), kMinNofile));
    }
  }
  return {};
}

Status validate_hooks(const grpc::Hooks& hooks) {
  const auto* desc = hooks.GetDescriptor();
  const auto* refl = hooks.GetReflection();
  for (int f = 0; f < desc->field_count(); ++f) {  // every hook list, present and future
    const auto* field = desc->field(f);
    for (int i = 0; i < refl->FieldSize(hooks, field); ++i) {
      const auto& hook = static_cast<const grpc::Hook&>(refl->GetRepeatedMessage(hooks, field, i));
      KATA_TRY(
          require_absolute(hook.path(), fmt::format("hooks.{}[{}].path", field->json_name(), i)));
      if (hook.timeout() < 0) {
        return invalid(fmt::format("hooks.{}[{}].timeout: must not be negative, got {}",
                                   field->json_name(), i, hook.timeout()));
      }
    }
  }
  return {};
}

Status validate_namespaces(const grpc::Linux& linux) {
  static const std::set<std::string> kTypes = {"pid", "network", "mount",  "ipc",
                                               "uts", "user",    "cgroup", "time"};
  std::set<std::string> seen;
  for (int i = 0; i < linux.namespaces_size(); ++i) {
    const std::string& type = linux.namespaces(i).type();
    std::string where = fmt::format("linux.namespaces[{}]", i);
    if (!kTypes.contains(type)) {
      return invalid(fmt::format("{}.type: unknown namespace `{}`", where, type));
    }
    if (!seen.insert(type).second) {
      return invalid(fmt::format("{}.type: namespace `{}` is listed twice", where, type));
    }
    if (!linux.namespaces(i).path().empty()) {
      KATA_TRY(require_absolute(linux.namespaces(i).path(), where + ".path"));
    }
  }
  return {};
}

const grpc::LinuxNamespace* find_namespace(const grpc::Linux& linux, std::string_view type) {
  for (const grpc::LinuxNamespace& ns : linux.namespaces()) {
    if (ns.type() == type) return &ns;
  }
  return nullptr;
}

// runc's validator (libcontainer/configs/validate, sysctl): only sysctls that belong to a
// namespace the container has of its own, since the others would change the whole host. Kata
// runs the container in a VM of its own, but a spec runc refuses is refused here too, so that
// a spec behaves the same under both runtimes.
constexpr std::array<std::string_view, 8> kIpcSysctls = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};

Status check_sysctl(const grpc::Linux& linux, const std::string& key) {
  auto refuse = [](const std::string& why) { return invalid("linux.sysctl: " + why); };
  bool ipc = std::find(kIpcSysctls.begin(), kIpcSysctls.end(), key) != kIpcSysctls.end();
  if (ipc || key.starts_with("fs.mqueue.")) {
    if (find_namespace(linux, "ipc")) return {};
    return refuse(fmt::format("sysctl \"{}\" is not allowed in the hosts ipc namespace", key));
  }
  if (key.starts_with("net.")) {
    // runc compares a netns path with its own netns; on the Kata host a path is the pod's
    // netns (the guest leaves it for the VM's), never the shim's: only its absence is "host".
    if (find_namespace(linux, "network")) return {};
    return refuse(fmt::format("sysctl \"{}\" not allowed in host network namespace", key));
  }
  if (find_namespace(linux, "uts")) {
    if (key == "kernel.domainname") return {};  // namespaced, and no OCI field sets it in runc
    if (key == "kernel.hostname") {
      return refuse(fmt::format(
          "sysctl \"{}\" is not allowed as it conflicts with the OCI \"hostname\" field", key));
    }
  }
  return refuse(fmt::format("sysctl \"{}\" is not in a separate kernel namespace", key));
}

Status validate_sysctls(const grpc::Linux& linux) {
  std::vector<std::string> keys;  // sorted, so that the first bad one is always the same
  for (const auto& [key, value] : linux.sysctl()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  for (const std::string& key : keys) KATA_TRY(check_sysctl(linux, key));
  return {};
}

Status validate_devices(const grpc::Linux& linux) {
  for (int i = 0; i < linux.devices_size(); ++i) {
    const grpc::LinuxDevice& d = linux.devices(i);
    std::string where = fmt::format("linux.devices[{}]", i);
    KATA_TRY(require_absolute(d.path(), where + ".path"));
    if (d.type() != "c" && d.type() != "b" && d.type() != "u" && d.type() != "p") {
      return invalid(fmt::format("{}.type: expected one of c, b, u, p, got `{}`", where, d.type()));
    }
  }
  return {};
}

Status validate_seccomp(const grpc::LinuxSeccomp& seccomp) {
  if (seccomp.defaultaction().empty()) return invalid("linux.seccomp.defaultAction: must be set");
  for (int i = 0; i < seccomp.syscalls_size(); ++i) {
    const grpc::LinuxSyscall& s = seccomp.syscalls(i);
    if (s.names_size() == 0) {
      return invalid(fmt::format("linux.seccomp.syscalls[{}].names: must not be empty", i));
    }
    if (s.action().empty()) {
      return invalid(fmt::format("linux.seccomp.syscalls[{}].action: must be set", i));
    }
  }
  return {};
}

Status validate_device_cgroup(const grpc::LinuxResources& res, const std::string& prefix) {
  for (int i = 0; i < res.devices_size(); ++i) {
    const grpc::LinuxDeviceCgroup& d = res.devices(i);
    std::string where = fmt::format("{}devices[{}]", prefix, i);
    if (!d.type().empty() && d.type() != "a" && d.type() != "b" && d.type() != "c") {
      return invalid(fmt::format("{}.type: expected one of a, b, c, got `{}`", where, d.type()));
    }
    if (d.access().find_first_not_of("rwm") != std::string::npos) {
      return invalid(fmt::format("{}.access: `{}` is not a subset of `rwm`", where, d.access()));
    }
  }
  return {};
}

// runc has no fixed floor: it fails at setup when the limit is below what its init already uses
// ("unable to set memory limit to 1 (current usage: 1953792, ...)"; 2 MiB failed, 3 MiB ran).
// In the guest that failure surfaces as "container init exited during setup", naming nothing,
// so the floor Docker and Podman apply to runc (6 MiB) is checked here, before any VM.
constexpr int64_t kMinMemoryLimit = 6 * 1024 * 1024;

// -1 is "no limit" and 0 "unset"; the kernel refuses other negative values (runc: `failed to
// write "-2": ... invalid argument`).
Status check_memory_value(int64_t value, const std::string& where) {
  if (value >= -1) return {};
  return invalid(fmt::format("{}: {} is negative (only -1, for no limit, is)", where, value));
}

Status validate_memory(const grpc::LinuxMemory& m, const std::string& prefix, ResourcesUse use) {
  KATA_TRY(check_memory_value(m.limit(), prefix + "limit"));
  KATA_TRY(check_memory_value(m.reservation(), prefix + "reservation"));
  KATA_TRY(check_memory_value(m.swap(), prefix + "swap"));
  if (m.limit() > 0 && m.limit() < kMinMemoryLimit) {
    return invalid(fmt::format("{}limit: memory limit {} is below the minimum {} (6 MiB)", prefix,
                               m.limit(), kMinMemoryLimit));
  }
  // runc's cgroup v2 conversion (ConvertMemorySwapToCgroupV2Value); the guest is cgroup v2.
  if (m.swap() > 0) {
    if (m.limit() > 0 && m.swap() < m.limit()) {
      return invalid(fmt::format("{}swap: memory+swap limit {} should be >= memory limit {}",
                                 prefix, m.swap(), m.limit()));
    }
    if (m.limit() <= 0 && use == ResourcesUse::kCreate) {
      return invalid(prefix + "swap: unable to set swap limit without memory limit");
    }
  }
  // runc reads UINT64_MAX as int64 -1, "unset".
  if (m.swappiness() > 100 && m.swappiness() != UINT64_MAX) {
    return invalid(
        fmt::format("{}swappiness: invalid memory swappiness value: {} (valid range is 0-100)",
                    prefix, m.swappiness()));
  }
  return {};
}

// cpu.shares is 2..262144 (runc: "the minimum allowed cpu-shares is 2"), 0 meaning unset.
// CFS periods are 1 ms..1 s and a quota at least 1 ms: the kernel refuses the rest with EINVAL
// (runc: `failed to write "999": write .../cpu.cfs_quota_us: invalid argument`); a negative
// quota means no limit.
constexpr uint64_t kMinShares = 2;
constexpr uint64_t kMaxShares = 262144;
constexpr int64_t kMinQuotaUs = 1000;
constexpr uint64_t kMinPeriodUs = 1000;
constexpr uint64_t kMaxPeriodUs = 1000000;

Status validate_cpu(const grpc::LinuxCPU& cpu, const std::string& prefix) {
  if (cpu.shares() != 0 && cpu.shares() < kMinShares) {
    return invalid(fmt::format("{}shares: the minimum allowed cpu-shares is {}, got {}", prefix,
                               kMinShares, cpu.shares()));
  }
  if (cpu.shares() > kMaxShares) {
    return invalid(fmt::format("{}shares: the maximum allowed cpu-shares is {}, got {}", prefix,
                               kMaxShares, cpu.shares()));
  }
  if (cpu.quota() > 0 && cpu.quota() < kMinQuotaUs) {
    return invalid(
        fmt::format("{}quota: {} is below the minimum {} (microseconds; -1 for no limit)", prefix,
                    cpu.quota(), kMinQuotaUs));
  }
  if (cpu.period() != 0 && (cpu.period() < kMinPeriodUs || cpu.period() > kMaxPeriodUs)) {
    return invalid(fmt::format("{}period: {} is out of range {}-{} (microseconds)", prefix,
                               cpu.period(), kMinPeriodUs, kMaxPeriodUs));
  }
  return {};
}

Status validate_linux(const grpc::Linux& linux) {
  KATA_TRY(validate_namespaces(linux));
  KATA_TRY(validate_sysctls(linux));
  KATA_TRY(validate_devices(linux));
  if (linux.has_seccomp()) KATA_TRY(validate_seccomp(linux.seccomp()));
  if (linux.has_resources()) {
    KATA_TRY(validate_resources(linux.resources(), "linux.resources.", ResourcesUse::kCreate));
  }
  return {};
}

}  // namespace

Status validate_process(const grpc::Process& p, const std::string& prefix) {
  if (p.args_size() == 0) return invalid(prefix + "args: must not be empty");
  if (p.args(0).empty()) return invalid(prefix + "args[0]: must not be empty");
  KATA_TRY(require_absolute(p.cwd(), prefix + "cwd"));
  for (int i = 0; i < p.env_size(); ++i) {
    size_t eq = p.env(i).find('=');
    if (eq == std::string::npos || eq == 0) {
      return invalid(fmt::format("{}env[{}]: `{}` is not NAME=VALUE", prefix, i, p.env(i)));
    }
  }
  KATA_TRY(validate_user(p.user(), prefix));
  return validate_rlimits(p, prefix);
}

Status validate_resources(const grpc::LinuxResources& res, const std::string& prefix,
                          ResourcesUse use) {
  KATA_TRY(validate_device_cgroup(res, prefix));
  if (res.has_memory()) KATA_TRY(validate_memory(res.memory(), prefix + "memory.", use));
  if (res.has_cpu()) KATA_TRY(validate_cpu(res.cpu(), prefix + "cpu."));
  return {};
}

Status validate_spec(const grpc::Spec& spec) {
  if (spec.root().path().empty()) return invalid("root.path: must not be empty");
  if (!spec.has_process()) return invalid("process: must be set");
  KATA_TRY(validate_process(spec.process(), "process."));
  for (int i = 0; i < spec.mounts_size(); ++i) {
    KATA_TRY(
        require_absolute(spec.mounts(i).destination(), fmt::format("mounts[{}].destination", i)));
  }
  if (spec.has_hooks()) KATA_TRY(validate_hooks(spec.hooks()));
  if (spec.has_linux()) KATA_TRY(validate_linux(spec.linux()));
  return {};
}

}  // namespace kata::oci
