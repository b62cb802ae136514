#include "agent/container/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "agent/container/cgroup.h"
#include "agent/container/devices.h"
#include "agent/container/in_root.h"
#include "agent/init/mounts.h"
#include "common/fs.h"
#include "common/strings.h"
#include "common/unique_fd.h"
#include "sys/mount_options.h"

namespace kata::agent::container {
namespace {

Result<void> do_mount(const std::string& source, const std::string& target, const char* type,
                      unsigned long flags, const std::string& data, const std::string& shown) {
  if (::mount(source.empty() ? nullptr : source.c_str(), target.c_str(), type, flags,
              data.empty() ? nullptr : data.c_str()) != 0) {
    return Error::from_errno(errno,
                             fmt_path(std::string("mount ") + (type ? type : "") + " on", shown));
  }
  return {};
}

bool is_bind(const Mount& m, const sys::MountOptions& opts) {
  return m.type == "bind" || (opts.flags & MS_BIND) != 0;
}

// The cgroup the calling process is in, as a directory of the guest's cgroup2 mount:
// /proc/self/cgroup's "0::/path" line.
Result<std::string> own_cgroup_dir() {
  KATA_ASSIGN_OR_RETURN(std::string text, fs::read_file("/proc/self/cgroup"));
  for (const std::string& line : split(text, '\n')) {
    if (line.starts_with("0::/")) return std::string(kCgroupRoot) + line.substr(3);
  }
  return Error(Code::kInternal, "no cgroup v2 line in /proc/self/cgroup: " + text);
}

constexpr unsigned long kCgroupFlags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;

bool is_cgroup(const Mount& m) { return m.type == "cgroup" || m.type == "cgroup2"; }

// In its own cgroup namespace a fresh cgroup2 mount is rooted at the container's cgroup.
// Without one, the container's own cgroup directory is bound there instead (made
// read-only once mounted), as runc does on cgroup v2 hosts: the container sees its limits
// at /sys/fs/cgroup/memory.max, never the rest of the guest's tree.
Result<void> mount_cgroup(const std::string& target, bool own_namespace, const std::string& shown) {
  if (own_namespace) return do_mount("cgroup2", target, "cgroup2", kCgroupFlags, "", shown);
  KATA_ASSIGN_OR_RETURN(std::string own, own_cgroup_dir());
  return do_mount(own, target, nullptr, MS_BIND, "", shown);
}

Result<void> mount_one(int root_fd, const Mount& m, bool cgroup_namespace) {
  if (m.destination.empty() || m.destination[0] != '/') {
    return Error(Code::kInvalidArgument,
                 fmt_path("mount destination is not absolute", m.destination));
  }
  sys::MountOptions opts = sys::split_spec_mount_options(m.options);
  Leaf leaf = Leaf::kDirectory;
  if (is_bind(m, opts)) {
    struct stat st;
    if (::stat(m.source.c_str(), &st) != 0)
      return Error::from_errno(errno, fmt_path("stat bind source", m.source));
    if (!S_ISDIR(st.st_mode)) leaf = Leaf::kFile;
  }
  KATA_ASSIGN_OR_RETURN(UniqueFd dest, open_in_root(root_fd, m.destination, true, leaf));
  std::string target = fd_path(dest.get());
  if (is_bind(m, opts)) {
    KATA_TRY(
        do_mount(m.source, target, nullptr, MS_BIND | (opts.flags & MS_REC), "", m.destination));
  } else if (is_cgroup(m)) {
    // The guest is cgroup v2 only, whatever the spec's type; a container never changes it.
    KATA_TRY(mount_cgroup(target, cgroup_namespace, m.destination));
  } else {
    KATA_TRY(do_mount(m.source.empty() ? m.type : m.source, target, m.type.c_str(),
                      opts.flags & ~(MS_BIND | MS_REC | MS_REMOUNT), opts.data_string(),
                      m.destination));
  }
  // The mount is above the fd we hold: reopen to reach it.
  KATA_ASSIGN_OR_RETURN(UniqueFd mounted, open_in_root(root_fd, m.destination, false));
  std::string mounted_path = fd_path(mounted.get());
  if (is_cgroup(m) && !cgroup_namespace) {
    KATA_TRY(do_mount("", mounted_path, nullptr, MS_BIND | MS_REMOUNT | kCgroupFlags, "",
                      m.destination));
  }
  if (is_bind(m, opts) && sys::bind_remount_flags(opts.flags) != 0) {
    KATA_TRY(do_mount("", mounted_path, nullptr,
                      MS_BIND | MS_REMOUNT | sys::bind_remount_flags(opts.flags), "",
                      m.destination));
  }
  if (opts.propagation != 0) {
    KATA_TRY(do_mount("", mounted_path, nullptr, opts.propagation, "", m.destination));
  }
  return {};
}

bool mounts_dev(const ContainerSpec& spec) {
  return std::any_of(spec.mounts.begin(), spec.mounts.end(),
                     [](const Mount& m) { return m.destination == "/dev"; });
}

// Ancestors of `root` (and root itself and what is below it) stay; the rest
// of the guest's mounts are detached, deepest first.
Result<void> detach_guest_mounts(const std::string& root) {
  KATA_ASSIGN_OR_RETURN(std::string info, fs::read_file("/proc/self/mountinfo"));
  std::set<std::string> points = parse_mount_points(info);
  std::vector<std::string> detach;
  for (const std::string& p : points) {
    if (p == "/") continue;
    bool ancestor = starts_with(root, p) && (root.size() == p.size() || root[p.size()] == '/');
    bool inside = starts_with(p, root) && (p.size() == root.size() || p[root.size()] == '/');
    if (!ancestor && !inside) detach.push_back(p);
  }
  std::sort(detach.begin(), detach.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& p : detach) (void)::umount2(p.c_str(), MNT_DETACH);
  return {};
}

Result<void> sysctl(const std::string& key, const std::string& value) {
  std::string path = "/proc/sys/" + key;
  std::replace(path.begin() + 10, path.end(), '.', '/');
  if (key.find("..") != std::string::npos || key.find('/') != std::string::npos) {
    return Error(Code::kInvalidArgument, fmt_path("bad sysctl name", key));
  }
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd || ::write(fd.get(), value.data(), value.size()) < 0) {
    return Error::from_errno(errno, fmt_path("set sysctl", key));
  }
  return {};
}

Result<void> mask_path(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return {};  // nothing to hide
  if (S_ISDIR(st.st_mode)) {
    return do_mount("tmpfs", path, "tmpfs", MS_RDONLY, "", path);
  }
  return do_mount("/dev/null", path, nullptr, MS_BIND, "", path);
}

Result<void> readonly_path(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return {};
  KATA_TRY(do_mount(path, path, nullptr, MS_BIND | MS_REC, "", path));
  return do_mount("", path, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, "", path);
}

}  // namespace

Result<void> prepare_rootfs(const ContainerSpec& spec) {
  const std::string& root = spec.root_path;
  if (root.empty() || root[0] != '/')
    return Error(Code::kInvalidArgument, fmt_path("root path is not absolute", root));
  KATA_TRY(do_mount("", "/", nullptr, MS_REC | MS_PRIVATE, "", "/"));
  // Also what makes a plain directory usable as a root: pivot_root and
  // MS_MOVE need a mount point.
  KATA_TRY(do_mount(root, root, nullptr, MS_BIND | MS_REC, "", root));
  UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) return Error::from_errno(errno, fmt_path("open root", root));
  for (const Mount& m : spec.mounts) KATA_TRY(mount_one(root_fd.get(), m, spec.cgroup_namespace));
  if (mounts_dev(spec))
    KATA_TRY(populate_dev(root_fd.get(), spec.devices).context("populate /dev"));
  return {};
}

Result<void> switch_root(const std::string& root) {
  UniqueFd old_root(::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!old_root) return Error::from_errno(errno, "open `/`");
  if (::chdir(root.c_str()) != 0) return Error::from_errno(errno, fmt_path("chdir", root));
  if (::syscall(SYS_pivot_root, ".", ".") == 0) {
    // The old root is now stacked under the new one: detach it.
    if (::fchdir(old_root.get()) != 0) return Error::from_errno(errno, "fchdir old root");
    KATA_TRY(do_mount("", ".", nullptr, MS_SLAVE | MS_REC, "", "old root"));
    if (::umount2(".", MNT_DETACH) != 0) return Error::from_errno(errno, "unmount old root");
  } else {
    if (errno != EINVAL) return Error::from_errno(errno, fmt_path("pivot_root", root));
    KATA_TRY(detach_guest_mounts(root));
    if (::chdir(root.c_str()) != 0) return Error::from_errno(errno, fmt_path("chdir", root));
    KATA_TRY(do_mount(root, "/", nullptr, MS_MOVE, "", "/"));
    if (::chroot(".") != 0) return Error::from_errno(errno, fmt_path("chroot", root));
  }
  if (::chdir("/") != 0) return Error::from_errno(errno, "chdir `/`");
  return {};
}

Result<void> finish_rootfs(const ContainerSpec& spec) {
  for (const auto& [key, value] : spec.sysctls) KATA_TRY(sysctl(key, value));
  for (const std::string& p : spec.readonly_paths) KATA_TRY(readonly_path(p));
  for (const std::string& p : spec.masked_paths) KATA_TRY(mask_path(p));
  if (spec.root_readonly) {
    KATA_TRY(do_mount("", "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, "", "/"));
  }
  if (!spec.rootfs_propagation.empty()) {
    sys::MountOptions prop = sys::split_spec_mount_options({spec.rootfs_propagation});
    if (prop.propagation == 0) {
      return Error(Code::kInvalidArgument,
                   fmt_path("bad rootfsPropagation", spec.rootfs_propagation));
    }
    KATA_TRY(do_mount("", "/", nullptr, prop.propagation, "", "/"));
  }
  return {};
}

}  // namespace kata::agent::container
