#include "resource/rootfs.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "common/fs.h"
#include "common/log.h"
#include "common/strings.h"
#include "common/unique_fd.h"
#include "sys/mount_options.h"

namespace kata::resource {
namespace {

// Overlay options we pass on; anything else (e.g. another upperdir spelling) is refused.
const std::set<std::string, std::less<>> kOverlayKeys = {"lowerdir",     "upperdir", "workdir",
                                                         "index",        "xino",     "metacopy",
                                                         "redirect_dir", "volatile", "userxattr"};
// The flags a bind mount only honours on a remount.
constexpr unsigned long kRemountFlags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
                                        MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;
// The kernel takes at most one page of mount data.
constexpr size_t kMaxMountData = 4095;

Error invalid(std::string message) { return Error(Code::kInvalidArgument, std::move(message)); }

Result<void> check_overlay_option(const std::string& option) {
  size_t eq = option.find('=');
  std::string key = option.substr(0, eq);
  if (!kOverlayKeys.contains(key)) {
    return invalid(fmt_path("overlay option", option) + ": not supported");
  }
  if (eq == std::string::npos) return {};
  std::string value = option.substr(eq + 1);
  if (value.find('\\') != std::string::npos) {
    return invalid(fmt_path("overlay option", option) + ": escapes are not supported");
  }
  if (key == "lowerdir") {
    std::vector<std::string> dirs = split(value, ':', /*skip_empty=*/false);
    for (const std::string& d : dirs) KATA_TRY(validate_clean_path(d, "overlay lowerdir"));
  } else if (key == "upperdir" || key == "workdir") {
    KATA_TRY(validate_clean_path(value, "overlay " + key));
    if (value.find(':') != std::string::npos) {
      return invalid(fmt_path("overlay " + key, value) + ": ':' is not allowed");
    }
  }
  return {};
}

Result<PlannedMount> plan_overlay(const MountSpec& spec, sys::MountOptions options) {
  if (options.flags & MS_BIND) return invalid("overlay mount: bind options are not allowed");
  bool lower = false, upper = false, work = false;
  for (const std::string& o : options.data) {
    KATA_TRY(check_overlay_option(o));
    lower = lower || o.starts_with("lowerdir=");
    upper = upper || o.starts_with("upperdir=");
    work = work || o.starts_with("workdir=");
  }
  if (!lower) return invalid("overlay mount: no lowerdir");
  if (upper != work) return invalid("overlay mount: upperdir and workdir go together");
  PlannedMount p{.source = spec.source.empty() ? "overlay" : spec.source,
                 .fstype = "overlay",
                 .flags = options.flags,
                 .propagation = options.propagation,
                 .data = options.data_string()};
  if (p.source.find('\0') != std::string::npos) return invalid("overlay mount: NUL in source");
  if (p.data.size() > kMaxMountData) {
    return invalid("overlay mount: options longer than one page (too many layers)");
  }
  return p;
}

Result<PlannedMount> plan_bind(const MountSpec& spec, sys::MountOptions options) {
  KATA_TRY(validate_clean_path(spec.source, "bind source"));
  if (!options.data.empty()) {
    return invalid(fmt_path("bind mount: option", options.data.front()) + ": not supported");
  }
  unsigned long flags = options.flags | MS_BIND;
  return PlannedMount{.source = spec.source,
                      .fstype = "",
                      .flags = flags,
                      .propagation = options.propagation,
                      .data = "",
                      .remount = (flags & kRemountFlags) != 0};
}

// O_PATH fd of `path`, refusing symlinks in any component (openat2 RESOLVE_NO_SYMLINKS).
Result<UniqueFd> open_no_symlinks(const std::string& path, bool directory = true) {
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC | (directory ? O_DIRECTORY : 0);
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(::syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof how));
  if (fd < 0) {
    int err = errno;
    if (err == ELOOP) return Error(Code::kInvalidArgument, fmt_path("open", path) + ": a symlink");
    return Error::from_errno(err, fmt_path("open", path));
  }
  return UniqueFd(fd);
}

Result<void> do_mount(const char* source, const std::string& target, const char* fstype,
                      unsigned long flags, const std::string& data) {
  // Through the fd: the kernel mounts on exactly what we opened, not on what the path
  // names by now.
  KATA_ASSIGN_OR_RETURN(UniqueFd fd, open_no_symlinks(target));
  std::string at = "/proc/self/fd/" + std::to_string(fd.get());
  if (::mount(source, at.c_str(), fstype, flags, data.empty() ? nullptr : data.c_str()) != 0) {
    return Error::from_errno(errno, fmt_path("mount", target));
  }
  return {};
}

// The MOUNT_ATTR_* of a bind's MS_* flags.
uint64_t bind_attrs(unsigned long flags) {
  uint64_t attrs = 0;
  if (flags & MS_RDONLY) attrs |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID) attrs |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV) attrs |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC) attrs |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NODIRATIME) attrs |= MOUNT_ATTR_NODIRATIME;
  if (flags & MS_NOATIME) attrs |= MOUNT_ATTR_NOATIME;
  if (flags & MS_STRICTATIME) attrs |= MOUNT_ATTR_STRICTATIME;
  return attrs;
}

Result<void> mount_one(const PlannedMount& p, const std::string& target) {
  if (p.fstype.empty()) {
    KATA_TRY(bind_with_attrs(p.source, target, (p.flags & MS_REC) != 0,
                             kShareMountAttrs | bind_attrs(p.flags))
                 .context(fmt::format("bind `{}`", p.source)));
  } else {
    // Flags given at creation reach every propagated copy too.
    KATA_TRY(do_mount(p.source.c_str(), target, p.fstype.c_str(),
                      p.flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, p.data)
                 .context(fmt::format("{} `{}`", p.fstype, p.source)));
  }
  if (p.propagation != 0) {
    KATA_TRY(do_mount(nullptr, target, nullptr, p.propagation, "").context("set propagation"));
  }
  return {};
}

size_t depth(const std::string& path) { return std::count(path.begin(), path.end(), '/'); }

}  // namespace

Result<void> bind_with_attrs(const std::string& source, const std::string& target, bool recursive,
                             uint64_t attrs) {
  const unsigned rec = recursive ? AT_RECURSIVE : 0;
  UniqueFd tree(::open_tree(AT_FDCWD, source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec));
  if (!tree) return Error::from_errno(errno, fmt_path("clone the mount tree of", source));
  // Detached until move_mount: closing `tree` on failure unmounts it all.
  mount_attr attr{};
  attr.attr_set = attrs;
  if (attrs & MOUNT_ATTR__ATIME) attr.attr_clr = MOUNT_ATTR__ATIME;
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | rec, &attr, sizeof attr) != 0) {
    return Error::from_errno(errno, fmt_path("set mount attributes of", source));
  }
  KATA_ASSIGN_OR_RETURN(UniqueFd at, open_no_symlinks(target, /*directory=*/false));
  if (::move_mount(tree.get(), "", at.get(), "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    return Error::from_errno(errno, fmt_path("mount", target));
  }
  return {};
}

Result<PlannedMount> plan_mount(const MountSpec& spec) {
  KATA_ASSIGN_OR_RETURN(sys::MountOptions options,
                        sys::parse_mount_options(spec.options).context("mount " + spec.type));
  if (spec.type == "overlay") return plan_overlay(spec, std::move(options));
  if (spec.type == "bind" || spec.type == "rbind") {
    if (spec.type == "rbind") options.flags |= MS_BIND | MS_REC;
    return plan_bind(spec, std::move(options));
  }
  return invalid(fmt_path("mount type", spec.type) + ": not supported (overlay or bind)");
}

Result<void> mount_rootfs(const std::vector<MountSpec>& mounts, const std::string& target) {
  const std::string what = fmt_path("mount rootfs at", target);
  KATA_TRY(validate_clean_path(target, "rootfs target").context(what));
  if (mounts.empty()) return invalid(what + ": no mounts given");
  std::vector<PlannedMount> plans;
  for (const MountSpec& m : mounts) {
    KATA_ASSIGN_OR_RETURN(PlannedMount p, plan_mount(m).context(what));
    plans.push_back(std::move(p));
  }
  KATA_ASSIGN_OR_RETURN(auto existing, list_mounts_under(target).context(what));
  if (!existing.empty()) {
    return Error(Code::kAlreadyExists,
                 what + ": `" + existing.front().mount_point + "` is mounted already");
  }
  bool created = !fs::exists(target);
  KATA_TRY(fs::mkdir_all(target).context(what));
  for (const PlannedMount& p : plans) {
    Result<void> mounted = mount_one(p, target);
    if (mounted) continue;
    Result<void> undone = unmount_tree(target);
    if (!undone) log::warn("{}: undo: {}", what, undone.error().message());
    if (created && undone && ::rmdir(target.c_str()) != 0) {
      log::warn("{}: undo: rmdir: {}", what, std::strerror(errno));
    }
    return std::move(mounted).context(what);
  }
  return {};
}

Result<void> bind_file(const std::string& source, const std::string& target, bool read_only) {
  const std::string what = fmt_path("bind file at", target);
  KATA_TRY(validate_clean_path(source, "bind source").context(what));
  KATA_TRY(validate_clean_path(target, "bind target").context(what));
  size_t slash = target.rfind('/');
  const std::string dir = slash == 0 ? "/" : target.substr(0, slash);
  const std::string name = target.substr(slash + 1);
  KATA_TRY(fs::mkdir_all(dir).context(what));
  KATA_ASSIGN_OR_RETURN(UniqueFd parent, open_no_symlinks(dir).context(what));
  // A new file, never one that is there: the guest can write this directory.
  UniqueFd created(::openat(parent.get(), name.c_str(),
                            O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!created) return Error::from_errno(errno, what + ": create the mount point");
  created.reset();
  Result<void> mounted = bind_with_attrs(source, target, /*recursive=*/false,
                                         kShareMountAttrs | (read_only ? MOUNT_ATTR_RDONLY : 0));
  if (mounted) return {};
  Result<void> undone = unmount_tree(target);
  if (undone) (void)::unlinkat(parent.get(), name.c_str(), 0);
  return std::move(mounted).context(what);
}

Result<void> unmount_tree(const std::string& target) {
  const std::string what = fmt_path("unmount", target);
  KATA_TRY(validate_clean_path(target, "unmount target").context(what));
  // Each round unmounts what is listed; a mount that propagated in meanwhile, or one
  // stacked under another, shows up in the next round.
  for (int round = 0; round < 8; ++round) {
    KATA_ASSIGN_OR_RETURN(std::vector<sys::MountEntry> mounts,
                          list_mounts_under(target).context(what));
    if (mounts.empty()) return {};
    std::vector<size_t> order(mounts.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = mounts.size() - 1 - i;  // newest first
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return depth(mounts[a].mount_point) > depth(mounts[b].mount_point);
    });
    for (size_t i : order) {
      const char* point = mounts[i].mount_point.c_str();
      if (::umount2(point, UMOUNT_NOFOLLOW) == 0) continue;
      int err = errno;
      if (err == EINVAL || err == ENOENT) continue;  // went with a mount above it
      if (err == EBUSY && ::umount2(point, UMOUNT_NOFOLLOW | MNT_DETACH) == 0) {
        log::warn("{}: `{}` was busy, detached it", what, mounts[i].mount_point);
        continue;
      }
      return Error::from_errno(err, fmt_path("unmount", mounts[i].mount_point));
    }
  }
  return Error(Code::kInternal, what + ": mounts keep reappearing");
}

}  // namespace kata::resource
