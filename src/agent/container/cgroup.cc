#include "agent/container/cgroup.h"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "agent/container/device_filter.h"
#include "common/log.h"
#include "common/strings.h"

namespace kata::agent::container {
namespace {

uint64_t to_u64(std::string_view s) {
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// "max" -> 0 (no limit).
uint64_t read_limit(ContainerOs& os, const std::string& path) {
  Result<std::string> text = os.read_file(path);
  if (!text) return 0;
  std::string_view t = trim(*text);
  return t == "max" ? 0 : to_u64(t);
}

// Enables kControllers in `dir`'s cgroup.subtree_control, each on its own
// (one the kernel lacks must not stop the others).
void enable_controllers(ContainerOs& os, const std::string& dir) {
  for (const char* c : kControllers) {
    (void)os.write_file(dir + "/cgroup.subtree_control", std::string("+") + c);
  }
}

}  // namespace

Result<std::string> cgroup_relative_path(const std::string& cgroups_path, const std::string& id) {
  if (cgroups_path.empty() || cgroups_path.find(':') != std::string::npos) return "kata/" + id;
  std::string out;
  for (const std::string& part : split(cgroups_path, '/')) {
    if (part == "..")
      return Error(Code::kInvalidArgument, fmt_path("cgroupsPath has `..`", cgroups_path));
    if (part == ".") continue;
    if (!out.empty()) out += '/';
    out += part;
  }
  if (out.empty()) return "kata/" + id;
  return out;
}

std::vector<std::pair<std::string, std::string>> cgroup_writes(const Resources& r) {
  std::vector<std::pair<std::string, std::string>> w;
  if (r.memory_limit && *r.memory_limit > 0) {
    w.emplace_back("memory.max", std::to_string(*r.memory_limit));
    if (r.memory_swap && *r.memory_swap > 0 && *r.memory_swap >= *r.memory_limit) {
      w.emplace_back("memory.swap.max", std::to_string(*r.memory_swap - *r.memory_limit));
    }
  } else if (r.memory_limit && *r.memory_limit < 0) {
    w.emplace_back("memory.max", "max");
  }
  if (r.memory_swap && *r.memory_swap < 0) w.emplace_back("memory.swap.max", "max");
  if (r.memory_reservation && *r.memory_reservation > 0) {
    w.emplace_back("memory.low", std::to_string(*r.memory_reservation));
  }
  if (r.cpu_quota || r.cpu_period) {
    uint64_t period = r.cpu_period && *r.cpu_period > 0 ? *r.cpu_period : 100000;
    std::string quota = r.cpu_quota && *r.cpu_quota > 0 ? std::to_string(*r.cpu_quota) : "max";
    w.emplace_back("cpu.max", quota + " " + std::to_string(period));
  }
  if (r.cpu_shares && *r.cpu_shares > 0) {
    // runc's mapping of v1 shares [2, 262144] onto v2 weight [1, 10000].
    uint64_t shares = std::clamp<uint64_t>(*r.cpu_shares, 2, 262144);
    w.emplace_back("cpu.weight", std::to_string(1 + ((shares - 2) * 9999) / 262142));
  }
  if (!r.cpuset_cpus.empty()) w.emplace_back("cpuset.cpus", r.cpuset_cpus);
  if (!r.cpuset_mems.empty()) w.emplace_back("cpuset.mems", r.cpuset_mems);
  if (r.pids_limit) {
    w.emplace_back("pids.max", *r.pids_limit > 0 ? std::to_string(*r.pids_limit) : "max");
  }
  for (const auto& [size, limit] : r.hugepage_limits) {
    w.emplace_back("hugetlb." + size + ".max", std::to_string(limit));
  }
  // Last, so that they override what the typed fields wrote.
  for (const auto& [file, value] : r.unified) w.emplace_back(file, value);
  return w;
}

std::map<std::string, uint64_t> parse_flat_keyed(std::string_view text) {
  std::map<std::string, uint64_t> out;
  for (const std::string& line : split(text, '\n')) {
    std::vector<std::string> f = split(line, ' ');
    if (f.size() == 2) out[f[0]] = to_u64(f[1]);
  }
  return out;
}

uint64_t workload_task_limit(uint64_t pid_max, uint64_t threads_max, uint64_t reserve) {
  uint64_t tasks = std::min(pid_max, threads_max);
  // A tiny guest still gets a usable share rather than none.
  return tasks > 2 * reserve ? tasks - reserve : std::max<uint64_t>(tasks / 2, 1);
}

// Best effort: a cgroup tree without the pids controller (a test's) has no pids.max.
void limit_top_level_tasks(ContainerOs& os, const std::string& dir) {
  Result<std::string> pid_max = os.read_file("/proc/sys/kernel/pid_max");
  Result<std::string> threads_max = os.read_file("/proc/sys/kernel/threads-max");
  if (!pid_max || !threads_max || !os.exists(dir + "/pids.max")) return;
  uint64_t limit =
      workload_task_limit(to_u64(trim(*pid_max)), to_u64(trim(*threads_max)), kAgentTaskReserve);
  Result<void> set = os.write_file(dir + "/pids.max", std::to_string(limit));
  if (!set) log::warn("{}", set.error().message());
}

Result<Cgroup> Cgroup::create(ContainerOs& os, const std::string& root,
                              const std::string& relative) {
  std::string dir = root;
  bool top_level = true;
  for (const std::string& part : split(relative, '/')) {
    enable_controllers(os, dir);
    dir += "/" + part;
    Result<void> made = os.make_dir(dir);
    if (made) {
      if (top_level) limit_top_level_tasks(os, dir);
    } else if (made.error().sys_errno() != EEXIST) {
      return std::move(made).error().context("create cgroup");
    }
    top_level = false;
  }
  return Cgroup(os, root, dir);
}

Result<void> Cgroup::apply(const Resources& r) const {
  for (const auto& [file, value] : r.unified) {
    if (file.empty() || file.find('/') != std::string::npos || starts_with(file, "cgroup.")) {
      return Error(Code::kInvalidArgument, "unified cgroup key `" + file + "` is not allowed");
    }
  }
  for (const auto& [file, value] : cgroup_writes(r)) {
    KATA_TRY(os_->write_file(dir_ + "/" + file, value).context("apply cgroup limits"));
  }
  return {};
}

Result<void> Cgroup::restrict_devices(const std::vector<DeviceRule>& rules) const {
  Result<std::vector<bpf_insn>> program = device_filter_program(with_default_device_rules(rules));
  if (!program) return std::move(program).error().context("device cgroup");
  return os_->attach_device_filter(dir_, *program).context("device cgroup");
}

Result<std::vector<pid_t>> Cgroup::pids() const {
  KATA_ASSIGN_OR_RETURN(std::string text, os_->read_file(dir_ + "/cgroup.procs"));
  std::vector<pid_t> out;
  for (const std::string& line : split(text, '\n')) out.push_back(static_cast<pid_t>(to_u64(line)));
  return out;
}

Result<void> Cgroup::signal_all(int sig) const {
  if (sig == SIGKILL && os_->exists(dir_ + "/cgroup.kill"))
    return os_->write_file(dir_ + "/cgroup.kill", "1");
  KATA_ASSIGN_OR_RETURN(std::vector<pid_t> pids, this->pids());
  for (pid_t pid : pids) {
    if (::kill(pid, sig) != 0 && errno != ESRCH)
      return Error::from_errno(errno, "kill " + std::to_string(pid));
  }
  return {};
}

Result<void> Cgroup::freeze(bool frozen) const {
  return os_->write_file(dir_ + "/cgroup.freeze", frozen ? "1" : "0");
}

Result<CgroupStats> Cgroup::stats() const {
  CgroupStats s;
  if (Result<std::string> t = os_->read_file(dir_ + "/cpu.stat")) s.cpu = parse_flat_keyed(*t);
  if (Result<std::string> t = os_->read_file(dir_ + "/memory.stat"))
    s.memory = parse_flat_keyed(*t);
  if (Result<std::string> t = os_->read_file(dir_ + "/memory.current"))
    s.memory_current = to_u64(trim(*t));
  if (Result<std::string> t = os_->read_file(dir_ + "/memory.events"))
    s.memory_failcnt = parse_flat_keyed(*t)["max"];
  s.memory_max = read_limit(*os_, dir_ + "/memory.max");
  if (Result<std::string> t = os_->read_file(dir_ + "/pids.current"))
    s.pids_current = to_u64(trim(*t));
  s.pids_max = read_limit(*os_, dir_ + "/pids.max");
  return s;
}

Result<uint64_t> Cgroup::oom_kills() const {
  KATA_ASSIGN_OR_RETURN(std::string text, os_->read_file(dir_ + "/memory.events"));
  return parse_flat_keyed(text)["oom_kill"];
}

Result<void> Cgroup::remove() const {
  KATA_TRY(os_->remove_dir(dir_).context("remove cgroup"));
  std::string parent = dir_.substr(0, dir_.find_last_of('/'));
  // Best effort: a sibling keeps its parent busy, which is fine.
  while (parent.size() > root_.size() && parent.find('/', root_.size() + 1) != std::string::npos &&
         os_->remove_dir(parent)) {
    parent = parent.substr(0, parent.find_last_of('/'));
  }
  return {};
}

}  // namespace kata::agent::container
