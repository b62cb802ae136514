#include "resource/host_cgroup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include "common/fs.h"
#include "common/log.h"
#include "common/strings.h"
#include "common/unique_fd.h"
#include "sys/mountinfo.h"

namespace kata::resource {
namespace {

// A process that has just been killed leaves its cgroups as it exits, a moment after
// the kill returned.
constexpr int kRemoveAttempts = 20;
constexpr std::chrono::milliseconds kRemovePause{100};

// cgroupfs takes one value per write(2), which must not be split or renamed over.
Result<void> write_value(const std::string& dir, const char* file, const std::string& value) {
  std::string path = dir + "/" + file;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno(errno, fmt_path("open", path));
  if (::write(fd.get(), value.data(), value.size()) < 0) {
    return Error::from_errno(errno, fmt_path("write " + value + " to", path));
  }
  return {};
}

// An empty cpuset takes no process: a new v1 cpuset cgroup copies its parent's.
Result<void> fill_cpuset(const std::string& dir) {
  std::string parent = dir.substr(0, dir.rfind('/'));
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    KATA_ASSIGN_OR_RETURN(std::string mine, fs::read_file(dir + "/" + file));
    if (!trim(mine).empty()) continue;
    KATA_ASSIGN_OR_RETURN(std::string theirs, fs::read_file(parent + "/" + file));
    KATA_TRY(write_value(dir, file, std::string(trim(theirs))));
  }
  return {};
}

struct Levels {
  std::vector<std::string> made;  // by this call, outermost first: what a failure undoes
  std::string leaf;
};

// mkdir -p of `path` under the hierarchy.
Result<Levels> make_levels(const CgroupHierarchy& h, const std::string& path) {
  Levels levels;
  std::string dir = h.mount_point;
  for (const std::string& part : split(path, '/')) {
    dir += "/" + part;
    if (::mkdir(dir.c_str(), 0755) == 0) {
      levels.made.push_back(dir);
    } else if (errno != EEXIST) {
      return Error::from_errno(errno, fmt_path("create cgroup", dir));
    }
    if (!h.unified && h.has("cpuset")) KATA_TRY(fill_cpuset(dir));
  }
  levels.leaf = dir;
  return levels;
}

Result<void> remove_dir(const std::string& dir) {
  for (int attempt = 1;; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
    if (errno != EBUSY || attempt == kRemoveAttempts) {
      return Error::from_errno(errno, fmt_path("remove cgroup", dir));
    }
    std::this_thread::sleep_for(kRemovePause);
  }
}

// v2 hands a controller to a child only when the parent lists it in subtree_control.
void enable_controllers(const std::string& dir) {
  std::string parent = dir.substr(0, dir.rfind('/'));
  for (const char* controller : {"+cpu", "+memory", "+cpuset"}) {
    Result<void> on = write_value(parent, "cgroup.subtree_control", controller);
    if (!on) log::warn("{}", on.error().message());
  }
}

}  // namespace

Result<HostCgroup> HostCgroup::create(std::vector<CgroupHierarchy> hierarchies,
                                      const std::string& cgroups_path) {
  HostCgroup cgroup;
  cgroup.hierarchies_ = std::move(hierarchies);
  std::vector<std::string> made_all;  // undone, innermost first, on failure
  for (const CgroupHierarchy& h : cgroup.hierarchies_) {
    Result<std::string> path = cgroup_path_in(h, cgroups_path);
    Result<Levels> levels = path ? make_levels(h, *path) : Result<Levels>(path.error());
    if (!levels) {
      for (auto it = made_all.rbegin(); it != made_all.rend(); ++it) (void)remove_dir(*it);
      cgroup.removed_ = true;  // undone above: only what this call made
      return std::move(levels).error().context("create the sandbox's host cgroup");
    }
    made_all.insert(made_all.end(), levels->made.begin(), levels->made.end());
    if (h.unified) enable_controllers(levels->leaf);
    cgroup.dirs_.push_back(levels->leaf);
  }
  return cgroup;
}

HostCgroup::HostCgroup(HostCgroup&& other) noexcept
    : hierarchies_(std::move(other.hierarchies_)),
      dirs_(std::move(other.dirs_)),
      removed_(other.removed_) {
  other.removed_ = true;
}

HostCgroup::~HostCgroup() {
  if (Result<void> removed = remove(); !removed) log::warn("{}", removed.error().message());
}

Result<void> HostCgroup::add_process(pid_t pid) {
  for (const std::string& dir : dirs_) {
    KATA_TRY(write_value(dir, "cgroup.procs", std::to_string(pid)));
  }
  return {};
}

Result<void> HostCgroup::set_limits(const HostLimits& limits) {
  for (size_t i = 0; i < hierarchies_.size(); ++i) {
    const CgroupHierarchy& h = hierarchies_[i];
    const std::string& dir = dirs_[i];
    if (h.unified) {
      std::string memory = limits.memory_bytes < 0 ? "max" : std::to_string(limits.memory_bytes);
      std::string quota = limits.cpu_quota_us < 0 ? "max" : std::to_string(limits.cpu_quota_us);
      KATA_TRY(write_value(dir, "memory.max", memory));
      KATA_TRY(write_value(dir, "cpu.max", quota + " " + std::to_string(limits.cpu_period_us)));
      continue;
    }
    if (h.has("memory")) {
      KATA_TRY(write_value(dir, "memory.limit_in_bytes", std::to_string(limits.memory_bytes)));
    }
    if (h.has("cpu")) {
      // Unlimited first: the new period with the old quota could ask for more than
      // the parent allows, and the kernel refuses that write.
      KATA_TRY(write_value(dir, "cpu.cfs_quota_us", "-1"));
      KATA_TRY(write_value(dir, "cpu.cfs_period_us", std::to_string(limits.cpu_period_us)));
      if (limits.cpu_quota_us >= 0) {
        KATA_TRY(write_value(dir, "cpu.cfs_quota_us", std::to_string(limits.cpu_quota_us)));
      }
    }
  }
  return {};
}

Result<void> HostCgroup::remove() {
  if (removed_) return {};
  Result<void> result;
  for (size_t i = 0; i < dirs_.size(); ++i) {
    const CgroupHierarchy& h = hierarchies_[i];
    Result<void> back = write_value(h.dir(h.own_path), "cgroup.procs", std::to_string(::getpid()));
    if (back) back = remove_dir(dirs_[i]);
    if (!back && result) result = std::move(back);
  }
  removed_ = true;
  return result;
}

Result<void> remove_cgroup_dirs(const std::vector<std::string>& dirs) {
  KATA_ASSIGN_OR_RETURN(std::string mountinfo, fs::read_file("/proc/self/mountinfo"));
  std::vector<sys::MountEntry> mounts = sys::parse_mountinfo(mountinfo);
  Result<void> result;
  for (const std::string& dir : dirs) {
    bool in_cgroupfs = dir.find("/..") == std::string::npos &&
                       std::any_of(mounts.begin(), mounts.end(), [&](const sys::MountEntry& m) {
                         return (m.fstype == "cgroup" || m.fstype == "cgroup2") &&
                                dir != m.mount_point && sys::path_is_under(dir, m.mount_point);
                       });
    Result<void> removed =
        in_cgroupfs ? remove_dir(dir)
                    : Result<void>(Error(Code::kInvalidArgument, fmt_path("remove cgroup", dir) +
                                                                     ": not below a cgroup mount"));
    if (!removed && result) result = std::move(removed);
  }
  return result;
}

}  // namespace kata::resource
