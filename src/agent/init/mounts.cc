#include "agent/init/mounts.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/fs.h"
#include "common/log.h"
#include "common/strings.h"

namespace kata::agent {
namespace {

constexpr unsigned long kNoExec = MS_NOSUID | MS_NODEV | MS_NOEXEC;

Result<void> mount_one(const MountSpec& m) {
  if (::mkdir(m.target, m.dir_mode) != 0 && errno != EEXIST) {
    return Error::from_errno(errno, fmt_path("mkdir", m.target));
  }
  if (m.optional_data && ::mount(m.source, m.target, m.fstype, m.flags, m.optional_data) == 0) {
    return {};
  }
  if (::mount(m.source, m.target, m.fstype, m.flags, m.data) != 0) {
    return Error::from_errno(errno, fmt_path(std::string("mount ") + m.fstype + " on", m.target));
  }
  return {};
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_octal(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      auto octal = [](char c) { return c >= '0' && c <= '7'; };
      if (octal(s[i + 1]) && octal(s[i + 2]) && octal(s[i + 3])) {
        out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

void ensure_symlink(const char* target, const char* link) {
  if (::symlink(target, link) != 0 && errno != EEXIST) {
    log::warn("symlink `{}` -> `{}`: {}", link, target, std::strerror(errno));
  }
}

}  // namespace

const std::vector<MountSpec>& base_mounts() {
  static const std::vector<MountSpec> mounts = {
      {"proc", "/proc", "proc", kNoExec, nullptr, 0555},
      {"sysfs", "/sys", "sysfs", kNoExec, nullptr, 0555},
      {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", 0755},
      // newinstance keeps container ptys apart from the guest's; ptmxmode lets
      // an unprivileged container user open /dev/pts/ptmx.
      {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620",
       0755},
      {"shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777},
      {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", 0755},
      {"tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777},
      // favordynmods (Linux 6.1): moving a process into a cgroup, which every
      // container process does, skips an RCU grace period: ~15 ms under TCG.
      {"cgroup2", "/sys/fs/cgroup", "cgroup2", kNoExec, nullptr, 0755, "favordynmods"},
  };
  return mounts;
}

std::set<std::string> parse_mount_points(std::string_view mountinfo) {
  std::set<std::string> points;
  for (const std::string& line : split(mountinfo, '\n')) {
    std::vector<std::string> fields = split(line, ' ');
    if (fields.size() > 4) points.insert(unescape_octal(fields[4]));
  }
  return points;
}

Result<std::vector<std::string>> mount_early() {
  std::vector<std::string> done;
  for (const MountSpec& m : base_mounts()) {
    std::string_view target = m.target;
    if (target != "/dev" && target != "/proc") continue;
    Result<void> r = mount_one(m);
    // EBUSY: the kernel mounted it already (CONFIG_DEVTMPFS_MOUNT).
    if (!r && r.error().sys_errno() != EBUSY) return std::move(r).error();
    if (r) done.emplace_back(target);
  }
  return done;
}

Result<std::vector<std::string>> mount_base_filesystems() {
  KATA_ASSIGN_OR_RETURN(std::string info, fs::read_file("/proc/self/mountinfo"));
  std::set<std::string> mounted = parse_mount_points(info);
  std::vector<std::string> done;
  for (const MountSpec& m : base_mounts()) {
    if (mounted.count(m.target)) continue;
    KATA_TRY(mount_one(m));
    done.emplace_back(m.target);
  }
  ensure_symlink("/proc/self/fd", "/dev/fd");
  ensure_symlink("/proc/self/fd/0", "/dev/stdin");
  ensure_symlink("/proc/self/fd/1", "/dev/stdout");
  ensure_symlink("/proc/self/fd/2", "/dev/stderr");
  return done;
}

}  // namespace kata::agent
