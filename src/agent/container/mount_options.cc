#include "agent/container/mount_options.h"

#include <sys/mount.h>

#include <string_view>

namespace kata::agent::container {
namespace {

struct Flag {
  std::string_view name;
  bool clear;
  unsigned long flag;
};

constexpr Flag kFlags[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
    {"defaults", false, 0},
};

constexpr Flag kPropagation[] = {
    {"private", false, MS_PRIVATE},       {"rprivate", false, MS_PRIVATE | MS_REC},
    {"shared", false, MS_SHARED},         {"rshared", false, MS_SHARED | MS_REC},
    {"slave", false, MS_SLAVE},           {"rslave", false, MS_SLAVE | MS_REC},
    {"unbindable", false, MS_UNBINDABLE}, {"runbindable", false, MS_UNBINDABLE | MS_REC},
};

}  // namespace

bool MountOptions::bind() const { return (flags & MS_BIND) != 0; }

MountOptions parse_mount_options(const std::vector<std::string>& options) {
  MountOptions out;
  for (const std::string& opt : options) {
    bool known = false;
    for (const Flag& f : kFlags) {
      if (opt == f.name) {
        out.flags = f.clear ? out.flags & ~f.flag : out.flags | f.flag;
        known = true;
        break;
      }
    }
    for (const Flag& f : kPropagation) {
      if (!known && opt == f.name) {
        out.propagation = f.flag;
        known = true;
      }
    }
    if (known) continue;
    if (!out.data.empty()) out.data += ',';
    out.data += opt;
  }
  return out;
}

unsigned long bind_remount_flags(unsigned long flags) {
  return flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME |
                  MS_RELATIME | MS_STRICTATIME);
}

}  // namespace kata::agent::container
