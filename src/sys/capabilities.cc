#include "sys/capabilities.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "common/unique_fd.h"

namespace kata::sys {

uint64_t capability_mask(std::initializer_list<int> capabilities) {
  uint64_t mask = 0;
  for (int cap : capabilities) mask |= uint64_t{1} << cap;
  return mask;
}

Result<int> read_last_cap() {
  UniqueFd fd(::open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno(errno, "open `/proc/sys/kernel/cap_last_cap`");
  char buf[16] = {};
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  int last = n > 0 ? std::atoi(buf) : -1;
  if (last <= 0 || last > 63) return Error(Code::kInternal, "read `/proc/sys/kernel/cap_last_cap`");
  return last;
}

bool limit_capabilities(uint64_t keep, int last_cap) {
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return false;
  }
  for (int cap = 0; cap <= last_cap; ++cap) {
    if ((keep >> cap) & 1) continue;
    if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0) continue;
    if (errno == EPERM && ::geteuid() != 0) break;
    return false;
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  for (int word = 0; word < _LINUX_CAPABILITY_U32S_3; ++word) {
    auto kept = static_cast<uint32_t>(keep >> (32 * word));
    data[word].permitted &= kept;
    data[word].effective &= kept;
    data[word].inheritable = 0;
  }
  return ::syscall(SYS_capset, &header, data) == 0;
}

}  // namespace kata::sys
