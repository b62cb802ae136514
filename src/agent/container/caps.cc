#include "agent/container/caps.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace kata::agent::container {
namespace {

constexpr std::string_view kNames[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
constexpr int kCount = sizeof kNames / sizeof kNames[0];

// The highest capability the running kernel knows (6.1: 40).
int last_cap() {
  static const int last = [] {
    int n = kCount - 1;
    while (n > 0 && ::prctl(PR_CAPBSET_READ, n, 0, 0, 0) < 0) --n;
    return n;
  }();
  return last;
}

}  // namespace

std::optional<int> capability_number(std::string_view name) {
  for (int i = 0; i < kCount; ++i) {
    if (kNames[i] == name) return i;
  }
  return std::nullopt;
}

Result<uint64_t> capability_mask(const std::vector<std::string>& names) {
  uint64_t mask = 0;
  for (const std::string& n : names) {
    std::optional<int> bit = capability_number(n);
    if (!bit) return Error(Code::kInvalidArgument, "unknown capability `" + n + "`");
    mask |= uint64_t{1} << *bit;
  }
  return mask;
}

Result<void> prepare_capabilities(const Capabilities& caps) {
  KATA_ASSIGN_OR_RETURN(uint64_t bounding, capability_mask(caps.bounding));
  for (int cap = 0; cap <= last_cap(); ++cap) {
    if ((bounding & (uint64_t{1} << cap)) == 0 && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      return Error::from_errno(errno, "drop capability " + std::string(kNames[cap]));
    }
  }
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
    return Error::from_errno(errno, "keep capabilities");
  return {};
}

Result<void> apply_capabilities(const Capabilities& caps) {
  KATA_ASSIGN_OR_RETURN(uint64_t eff, capability_mask(caps.effective));
  KATA_ASSIGN_OR_RETURN(uint64_t perm, capability_mask(caps.permitted));
  KATA_ASSIGN_OR_RETURN(uint64_t inh, capability_mask(caps.inheritable));
  KATA_ASSIGN_OR_RETURN(uint64_t amb, capability_mask(caps.ambient));
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(eff >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(perm >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(inh >> (32 * i));
  }
  if (::syscall(SYS_capset, &header, data) != 0) return Error::from_errno(errno, "capset");
  (void)::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  // The kernel raises an ambient capability only if it is permitted and
  // inheritable too. runc's default spec lists ambient ones without inheritable,
  // and runc runs it with those left out: so do we.
  amb &= perm & inh;
  for (int cap = 0; cap <= last_cap(); ++cap) {
    if ((amb & (uint64_t{1} << cap)) != 0 &&
        ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
      return Error::from_errno(errno, "raise ambient capability " + std::string(kNames[cap]));
    }
  }
  return {};
}

}  // namespace kata::agent::container
