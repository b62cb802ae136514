#include "resource/cgroup_hierarchy.h"

#include <algorithm>

#include "common/fs.h"
#include "common/strings.h"
#include "sys/mountinfo.h"

namespace kata::resource {
namespace {

// "rw,cpu,cpuacct" holds every one of "cpu,cpuacct".
bool names_all(std::string_view super_options, std::string_view controllers) {
  std::vector<std::string> have = split(super_options, ',');
  for (const std::string& want : split(controllers, ',')) {
    if (std::find(have.begin(), have.end(), want) == have.end()) return false;
  }
  return true;
}

// /proc/self/cgroup's path is from the hierarchy's root; a mount of a subtree (root
// "/docker/x") shows that subtree at its mount point.
std::string relative_to_mount(std::string_view path, const std::string& mount_root) {
  if (mount_root == "/" || !sys::path_is_under(path, mount_root)) return std::string(path);
  std::string rest(path.substr(mount_root.size()));
  return rest.empty() ? "/" : rest;
}

}  // namespace

bool CgroupHierarchy::has(std::string_view controller) const {
  if (unified) return true;  // v2: every enabled controller lives in the one tree
  std::vector<std::string> names = split(controllers, ',');
  return std::find(names.begin(), names.end(), controller) != names.end();
}

std::string CgroupHierarchy::dir(std::string_view path) const {
  std::string d = mount_point;
  if (path != "/") d += path;
  return d;
}

std::vector<CgroupHierarchy> parse_cgroup_hierarchies(std::string_view proc_cgroup,
                                                      std::string_view mountinfo) {
  std::vector<sys::MountEntry> mounts = sys::parse_mountinfo(mountinfo);
  std::vector<CgroupHierarchy> v1;
  std::vector<CgroupHierarchy> v2;
  for (const std::string& line : split(proc_cgroup, '\n')) {
    // hierarchy-id:controllers:path
    size_t first = line.find(':');
    size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    for (const sys::MountEntry& m : mounts) {
      bool match = controllers.empty()
                       ? m.fstype == "cgroup2"
                       : m.fstype == "cgroup" && names_all(m.super_options, controllers);
      if (!match) continue;
      CgroupHierarchy h{m.mount_point, controllers, relative_to_mount(path, m.root),
                        controllers.empty()};
      (h.unified ? v2 : v1).push_back(std::move(h));
      break;
    }
  }
  return v1.empty() ? v2 : v1;
}

Result<std::vector<CgroupHierarchy>> host_cgroup_hierarchies() {
  KATA_ASSIGN_OR_RETURN(std::string cgroup, fs::read_file("/proc/self/cgroup"));
  KATA_ASSIGN_OR_RETURN(std::string mountinfo, fs::read_file("/proc/self/mountinfo"));
  std::vector<CgroupHierarchy> all = parse_cgroup_hierarchies(cgroup, mountinfo);
  if (all.empty()) return Error(Code::kFailedPrecondition, "no cgroup hierarchy is mounted");
  return all;
}

Result<std::string> cgroup_path_in(const CgroupHierarchy& hierarchy,
                                   std::string_view cgroups_path) {
  const std::string what = fmt_path("cgroupsPath", cgroups_path);
  if (cgroups_path.find(':') != std::string_view::npos) {
    return Error(Code::kInvalidArgument,
                 what + ": systemd's slice:prefix:name form needs systemd, use cgroupfs paths");
  }
  std::vector<std::string> parts = split(cgroups_path, '/');
  if (parts.empty()) return Error(Code::kInvalidArgument, what + ": names no cgroup");
  std::string path = cgroups_path.starts_with('/') || hierarchy.own_path == "/"
                         ? std::string()
                         : hierarchy.own_path;
  for (const std::string& part : parts) {
    if (part == "." || part == "..") {
      return Error(Code::kInvalidArgument, what + ": `" + part + "` is not a cgroup name");
    }
    path += "/" + part;
  }
  return path;
}

}  // namespace kata::resource
